/**
 * `GET /api/telemetry/metrics`: every metric the server keeps rollups of, with how many agents
 * report it, most reported first — fetcher, query options and hook. Read when the page opens: the
 * charts (and their rollups) are asked for at once, alongside the connection, and a large fleet is
 * known before the page subscribes to any raw telemetry (lib/telemetry-feed.ts).
 */
import { queryOptions, useQuery } from '@tanstack/react-query';
import { z } from 'zod';
import { Paths } from '@nexus-realtime/client/protocol';
import { ApiError, apiGet } from './api-client';

const METRICS_REFRESH_MS = 60_000;
const MAX_METRICS = 1_000;

const metricsSchema = z
  .array(z.object({ metric: z.string().min(1).max(128), agents: z.number() }))
  .transform((list) => list.slice(0, MAX_METRICS));

export type KnownMetric = z.infer<typeof metricsSchema>[number];

/** The metrics known to the server; empty when it keeps no rollups (404). */
export async function getTelemetryMetrics(signal?: AbortSignal): Promise<KnownMetric[]> {
  try {
    return metricsSchema.parse(await apiGet<unknown>(Paths.telemetryMetrics, signal));
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return [];
    throw error;
  }
}

/** The list's query key (the charts' query, and the page's first look at the fleet's size). */
export const TELEMETRY_METRICS_KEY = ['telemetry-metrics'] as const;

export function telemetryMetricsQueryOptions() {
  return queryOptions({
    queryKey: TELEMETRY_METRICS_KEY,
    queryFn: ({ signal }) => getTelemetryMetrics(signal),
    refetchInterval: METRICS_REFRESH_MS,
  });
}

export function useTelemetryMetrics() {
  return useQuery(telemetryMetricsQueryOptions());
}
