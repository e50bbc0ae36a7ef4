/**
 * One row per agent from two sources: the REST list (server presence, polled) and the telemetry
 * buffers (filled per message). The buffers make an agent appear with its first message instead
 * of at the next poll; REST covers agents this dashboard has not heard from since it loaded.
 */
import type { AgentInfo } from '@nexus-realtime/client/protocol';

/** Heard from within this long counts as online, whatever the last poll said. */
export const LIVE_ONLINE_MS = 5_000;

export interface AgentRow {
  readonly agentId: string;
  readonly online: boolean;
  readonly lastSeenMs: number | undefined;
  readonly latest: Readonly<Record<string, number>>;
}

/** What the live telemetry knows of each agent (the ring buffers, or the worker's summaries). */
export interface LiveAgents {
  agent(agentId: string): { readonly lastSeenMs: number } | undefined;
  latest(agentId: string): Readonly<Record<string, number>>;
}

/** The worker's per-agent summaries, seen as LiveAgents. */
export function liveAgentsOf(
  summaries: ReadonlyMap<string, { readonly lastSeenMs: number; readonly latest: Readonly<Record<string, number>> }>,
): LiveAgents {
  return { agent: (agentId) => summaries.get(agentId), latest: (agentId) => summaries.get(agentId)?.latest ?? {} };
}

function parseMs(iso: string | undefined): number | undefined {
  const ms = iso === undefined ? NaN : Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}

/** What the page knows of the connection: while it is not open, no agent is shown online. */
export interface MergeContext {
  readonly nowMs: number;
  readonly connected: boolean;
}

function mergeOne(agentId: string, rest: AgentInfo | undefined, live: LiveAgents, context: MergeContext): AgentRow {
  const { nowMs, connected } = context;
  const restSeenMs = parseMs(rest?.last_seen);
  const liveSeenMs = live.agent(agentId)?.lastSeenMs;
  const liveIsNewer = liveSeenMs !== undefined && (restSeenMs === undefined || liveSeenMs >= restSeenMs);
  const liveLatest = liveSeenMs === undefined ? {} : live.latest(agentId);
  return {
    agentId,
    online: connected && ((liveSeenMs !== undefined && nowMs - liveSeenMs <= LIVE_ONLINE_MS) || rest?.online === true),
    lastSeenMs: liveIsNewer ? liveSeenMs : restSeenMs,
    // The newer source wins for each metric; the other fills metrics it lacks.
    latest: liveIsNewer ? { ...rest?.latest, ...liveLatest } : { ...liveLatest, ...rest?.latest },
  };
}

const byId = new Intl.Collator(undefined, { numeric: true });

/**
 * Every agent known to either source, sorted by id (agent_2 before agent_10). While the page is
 * disconnected nobody is shown online: what the page last heard is not what is true now.
 */
export function mergeAgents(
  rest: readonly AgentInfo[] | undefined,
  liveIds: readonly string[],
  live: LiveAgents,
  context: MergeContext,
): AgentRow[] {
  const restById = new Map((rest ?? []).map((agent) => [agent.agent_id, agent]));
  const ids = new Set([...restById.keys(), ...liveIds]);
  return [...ids].sort(byId.compare).map((agentId) => mergeOne(agentId, restById.get(agentId), live, context));
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
