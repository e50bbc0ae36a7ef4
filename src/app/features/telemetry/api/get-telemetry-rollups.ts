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
import { queryClient } from '../../../lib/query-client';
import { connectionStore } from '../../../store/connection-store';
import { chartWindow, chooseStep, type RangeKey, type Zoom } from '../../../lib/time-range';
import type { AgentRollup, RollupAnswer } from '../../../worker';

const LIVE_REFRESH_MS = 30_000;
const PAST_REFRESH_MS = 60_000;

const finite = z.number().finite();
const MAX_BUCKETS = 100_000;
/** More than the server ever answers (8 top agents, or those named): a bound, not a choice. */
const MAX_AGENTS = 100;
const agentSeriesSchema = z
  .array(z.object({ t: finite, avg: finite, min: finite, max: finite, last: finite }))
  .max(MAX_BUCKETS);
const answerSchema = z.object({
  metric: z.string(),
  step: z.string(),
  fleet: z.array(z.object({ t: finite, min: finite, median: finite, max: finite, agents: finite })).max(MAX_BUCKETS),
  // Agent ids are data from agents (`__proto__`, `constructor`): read entry by entry into a Map, never as object keys.
  agents: z.custom<object>((value) => typeof value === 'object' && value !== null && !Array.isArray(value)),
});

function agentsMap(raw: object): Map<string, AgentRollup[]> {
  const out = new Map<string, AgentRollup[]>();
  for (const [agentId, series] of Object.entries(raw).slice(0, MAX_AGENTS)) {
    if (agentId.length === 0 || agentId.length > 128) continue;
    const parsed = agentSeriesSchema.safeParse(series);
    if (parsed.success) out.set(agentId, parsed.data);
  }
  return out;
}

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

/** The server's answer, checked; null when its step is not one the page knows. */
export function parseRollupAnswer(metric: string, json: unknown): RollupAnswer | null {
  const body = answerSchema.parse(json);
  const stepMs = STEP_MS[body.step];
  if (stepMs === undefined) return null;
  return { metric, step: body.step, stepMs, fleet: body.fleet, agents: agentsMap(body.agents) };
}

/** The rollups, or null when the server has none for this metric (404). */
export async function getTelemetryRollups(request: RollupRequest, signal?: AbortSignal): Promise<RollupAnswer | null> {
  try {
    return parseRollupAnswer(request.metric, await apiGet<unknown>(rollupPath(request, Date.now()), signal));
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

/** Whether the page's connection was ever lost (its first connection is not a reconnect). */
let connectionLost = false;
connectionStore.subscribe((s, prev) => {
  if (prev.state === 'open' && s.state !== 'open') connectionLost = true;
});

/**
 * The answer in the cache when asking again cannot add anything: the page's first connection
 * (which asks every query again) came less than one rollup step after the answer, and no connection
 * was lost since the page opened. A fleet-sized page otherwise asks for every chart's hour twice in
 * its first seconds, and draws each twice. After a reconnect every chart asks again.
 */
function freshAnswer(queryKey: readonly unknown[], request: RollupRequest): RollupAnswer | undefined {
  if (connectionLost) return undefined;
  const state = queryClient.getQueryState<RollupAnswer | null>(queryKey);
  // A 404 (no such metric yet) is never reused: the metric may have appeared since.
  if (!state?.data || state.status !== 'success') return undefined;
  // The time the server answered, not the cache's `dataUpdatedAt`: serving the cached answer
  // renews that one, so a chart asking more often than once a step would never ask again.
  const answeredMs = answeredAtMs.get(state.data);
  if (answeredMs === undefined) return undefined;
  const window = chartWindow(request.range, request.zoom);
  const toMs = window.endMs ?? Date.now();
  const stepMs = chooseStep(toMs - window.windowMs, toMs, Date.now()).ms;
  return Date.now() - answeredMs < stepMs ? state.data : undefined;
}

/** When the server gave each answer still in the cache. */
const answeredAtMs = new WeakMap<RollupAnswer, number>();

async function askServer(request: RollupRequest, signal: AbortSignal): Promise<RollupAnswer | null> {
  const answer = await getTelemetryRollups(request, signal);
  if (answer) answeredAtMs.set(answer, Date.now());
  return answer;
}

export function telemetryRollupsQueryOptions(request: RollupRequest) {
  const { metric, range, zoom, agentIds } = request;
  const queryKey = ['telemetry-rollups', metric, range, zoom?.fromMs, zoom?.toMs, ...agentIds] as const;
  return queryOptions({
    queryKey,
    queryFn: ({ signal }) => {
      const fresh = freshAnswer(queryKey, request);
      return fresh ?? askServer(request, signal);
    },
    // A zoom is a fixed range: fetched once. A live range moves on: fetched again now and then.
    refetchInterval: zoom ? false : chartWindow(range, null).windowMs > 60 * 60_000 ? PAST_REFRESH_MS : LIVE_REFRESH_MS,
    retry: 1,
  });
}

export function useTelemetryRollups(request: RollupRequest) {
  return useQuery(telemetryRollupsQueryOptions(request));
}
