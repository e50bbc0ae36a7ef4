/**
 * One row per agent from three sources: the REST list (server presence, polled), the state
 * changes heard on `agents`, and the telemetry buffers (filled per message). The buffers make an
 * agent appear with its first message instead of at the next poll; REST covers agents this
 * dashboard has not heard from since it loaded. The server decides an agent's state (online,
 * silent, offline): of REST and `agents`, the one with the newer `since` wins; a server that
 * sends no state leaves online/offline to recent telemetry, as before.
 */
import type { AgentInfo } from '@nexus-realtime/client/protocol';
import { restState, type AgentState, type AgentStateChange } from '../../../lib/agent-state';

/** Heard from within this long counts as online, whatever the last poll said. */
export const LIVE_ONLINE_MS = 5_000;

export interface AgentRow {
  readonly agentId: string;
  /** What the page can say now: undefined while it is disconnected (or the server cannot know). */
  readonly state: AgentState | undefined;
  /** When the agent entered `state`, when the server said. */
  readonly sinceMs: number | undefined;
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
  /** State changes heard on `agents`, newest per agent. */
  readonly heard?: ReadonlyMap<string, AgentStateChange>;
  /** Agents to list because a change was heard, beside those REST and telemetry know. */
  readonly heardIds?: Iterable<string>;
}

/** The server's word on an agent: the newer of the REST row and the last change heard. */
function serverState(rest: AgentInfo | undefined, heard: AgentStateChange | undefined) {
  const fromRest = rest && restState(rest);
  if (!heard) return fromRest;
  if (fromRest && (fromRest.sinceMs ?? -Infinity) > heard.sinceMs) return fromRest;
  return { state: heard.state, sinceMs: heard.sinceMs };
}

function mergeOne(agentId: string, rest: AgentInfo | undefined, live: LiveAgents, context: MergeContext): AgentRow {
  const { nowMs, connected } = context;
  const server = serverState(rest, context.heard?.get(agentId));
  const restSeenMs = parseMs(rest?.last_seen);
  const liveSeenMs = live.agent(agentId)?.lastSeenMs;
  const liveIsNewer = liveSeenMs !== undefined && (restSeenMs === undefined || liveSeenMs >= restSeenMs);
  const liveLatest = liveSeenMs === undefined ? {} : live.latest(agentId);
  const online = server
    ? server.state === 'online'
    : (liveSeenMs !== undefined && nowMs - liveSeenMs <= LIVE_ONLINE_MS) || rest?.online === true;
  const state = server?.state ?? (online ? 'online' : 'offline');
  return {
    agentId,
    state: connected ? state : undefined,
    sinceMs: connected ? server?.sinceMs : undefined,
    online: connected && online,
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
  const ids = new Set([...restById.keys(), ...liveIds, ...(context.heardIds ?? [])]);
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
