/**
 * `GET /api/telemetry`: one metric's rollups (the fleet's band and the drawn agents) over the
 * chart's range, at the step that gives a few hundred points (lib/time-range.ts): fetcher, query
 * options and hook. Asked when a chart appears or its range changes, again after a reconnect
 * (every query is), and every REFRESH while the range moves on, so what the live buffers do not
 * hold is always drawn from here. A server without rollups answers 404: the chart stays live-only.
 */
import { queryOptions, useQuery } from '@tanstack/react-query';
import { z } from 'zod';
import { Paths } from '@nexus-realtime/client/protocol';
import { ApiError, apiGet } from '../../../lib/api-client';
import { chartWindow, chooseStep, type RangeKey, type Zoom } from '../../../lib/time-range';
import type { RollupAnswer } from '../../../worker';

const LIVE_REFRESH_MS = 30_000;
const PAST_REFRESH_MS = 60_000;

const finite = z.number().finite();
const answerSchema = z.object({
  metric: z.string(),
  step: z.string(),
  fleet: z.array(z.object({ t: finite, min: finite, median: finite, max: finite, agents: finite })).max(100_000),
  agents: z.record(
    z.string().max(128),
    z.array(z.object({ t: finite, avg: finite, min: finite, max: finite, last: finite })).max(100_000),
  ),
});

const STEP_MS: Readonly<Record<string, number>> = { '1s': 1_000, '10s': 10_000, '1m': 60_000 };

export interface RollupRequest {
  readonly metric: string;
  readonly range: RangeKey;
  readonly zoom: Zoom | null;
  /** Agents asked for by name; empty = the server's top agents over the range. */
  readonly agentIds: readonly string[];
}

/** The request's address, for a range ending at `nowMs` (or the zoom's end). */
export function rollupPath(request: RollupRequest, nowMs: number): string {
  const window = chartWindow(request.range, request.zoom);
  const toMs = window.endMs ?? nowMs;
  const fromMs = toMs - window.windowMs;
  const params = new URLSearchParams({
    metric: request.metric,
    from: String(Math.floor(fromMs)),
    to: String(Math.ceil(toMs)),
    step: chooseStep(fromMs, toMs, nowMs).key,
  });
  for (const agentId of request.agentIds) params.append('agent_id', agentId);
  return `${Paths.telemetry}?${params.toString()}`;
}

/** The rollups, or null when the server has none for this metric (404). */
export async function getTelemetryRollups(request: RollupRequest, signal?: AbortSignal): Promise<RollupAnswer | null> {
  try {
    const body = answerSchema.parse(await apiGet<unknown>(rollupPath(request, Date.now()), signal));
    const stepMs = STEP_MS[body.step];
    if (stepMs === undefined) return null;
    return { metric: request.metric, step: body.step, stepMs, fleet: body.fleet, agents: body.agents };
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

export function telemetryRollupsQueryOptions(request: RollupRequest) {
  const { metric, range, zoom, agentIds } = request;
  return queryOptions({
    queryKey: ['telemetry-rollups', metric, range, zoom?.fromMs, zoom?.toMs, ...agentIds] as const,
    queryFn: ({ signal }) => getTelemetryRollups(request, signal),
    // A zoom is a fixed range: fetched once. A live range moves on: fetched again now and then.
    refetchInterval: zoom ? false : chartWindow(range, null).windowMs > 60 * 60_000 ? PAST_REFRESH_MS : LIVE_REFRESH_MS,
    retry: 1,
  });
}

export function useTelemetryRollups(request: RollupRequest) {
  return useQuery(telemetryRollupsQueryOptions(request));
}
