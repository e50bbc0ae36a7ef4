/**
 * One row per agent from two sources: the REST list (server presence, polled) and the telemetry
 * buffers (filled per message). The buffers make an agent appear with its first message instead
 * of at the next poll; REST covers agents this dashboard has not heard from since it loaded.
 */
import type { AgentInfo } from '@nexus-realtime/client/protocol';
import type { TelemetryBuffers } from '../../../store/telemetry-buffers';

/** Heard from within this long counts as online, whatever the last poll said. */
export const LIVE_ONLINE_MS = 5_000;

export interface AgentRow {
  readonly agentId: string;
  readonly online: boolean;
  readonly lastSeenMs: number | undefined;
  readonly latest: Readonly<Record<string, number>>;
}

export type LiveAgents = Pick<TelemetryBuffers, 'agent' | 'latest'>;

function parseMs(iso: string | undefined): number | undefined {
  const ms = iso === undefined ? NaN : Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}

function mergeOne(agentId: string, rest: AgentInfo | undefined, live: LiveAgents, nowMs: number): AgentRow {
  const restSeenMs = parseMs(rest?.last_seen);
  const liveSeenMs = live.agent(agentId)?.lastSeenMs;
  const liveIsNewer = liveSeenMs !== undefined && (restSeenMs === undefined || liveSeenMs >= restSeenMs);
  const liveLatest = liveSeenMs === undefined ? {} : live.latest(agentId);
  return {
    agentId,
    online: (liveSeenMs !== undefined && nowMs - liveSeenMs <= LIVE_ONLINE_MS) || rest?.online === true,
    lastSeenMs: liveIsNewer ? liveSeenMs : restSeenMs,
    // The newer source wins for each metric; the other fills metrics it lacks.
    latest: liveIsNewer ? { ...rest?.latest, ...liveLatest } : { ...liveLatest, ...rest?.latest },
  };
}

const byId = new Intl.Collator(undefined, { numeric: true });

/** Every agent known to either source, sorted by id (agent_2 before agent_10). */
export function mergeAgents(
  rest: readonly AgentInfo[] | undefined,
  liveIds: readonly string[],
  live: LiveAgents,
  nowMs: number,
): AgentRow[] {
  const restById = new Map((rest ?? []).map((agent) => [agent.agent_id, agent]));
  const ids = new Set([...restById.keys(), ...liveIds]);
  return [...ids].sort(byId.compare).map((agentId) => mergeOne(agentId, restById.get(agentId), live, nowMs));
}

const PREFERRED_METRICS = ['cpu_usage', 'memory_mb', 'temperature_c'] as const;
const COMPACT_COUNT = 3;

/** The few values a row shows: the usual three when the agent reports them, else its first three. */
export function compactMetrics(latest: Readonly<Record<string, number>>): [string, number][] {
  const preferred = PREFERRED_METRICS.filter((metric) => metric in latest).map((metric): [string, number] => [
    metric,
    latest[metric]!,
  ]);
  if (preferred.length > 0) return preferred;
  return Object.keys(latest)
    .sort()
    .slice(0, COMPACT_COUNT)
    .map((metric) => [metric, latest[metric]!]);
}
