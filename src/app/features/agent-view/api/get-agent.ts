/**
 * `GET /api/agents/:agent_id`: one agent — its state and since, last seen, latest values — and its
 * state changes of the last 24 h (`states`, oldest first): fetcher, query options and hook.
 * Checked with zod at the edge; metric names are data from agents, read into a Map.
 */
import { queryOptions, useQuery } from '@tanstack/react-query';
import { z } from 'zod';
import { Paths } from '@nexus-realtime/client/protocol';
import { agentStateSchema, timeSchema, type AgentState } from '../../../lib/agent-state';
import { ApiError, apiGet } from '../../../lib/api-client';

/** last_seen and latest move on while the view is open: asked again this often. */
export const AGENT_REFRESH_MS = 10_000;
/** More than a day of changes ever holds for a sane agent: a bound, not a choice. */
const MAX_STATES = 10_000;
/** The server keeps 64 metrics per agent. */
const MAX_METRICS = 64;

const agentSchema = z.object({
  agent_id: z.string().max(128),
  state: agentStateSchema.optional().catch(undefined),
  since: timeSchema.optional().catch(undefined),
  online: z.boolean().optional().default(false),
  last_seen: timeSchema.optional().catch(undefined),
  latest: z.record(z.string(), z.unknown()).optional().default({}),
  states: z
    .array(z.object({ state: agentStateSchema, since: timeSchema }))
    .max(MAX_STATES)
    .optional()
    .catch([])
    .default([]),
});

export interface AgentDetail {
  readonly agentId: string;
  readonly state: AgentState | undefined;
  readonly sinceMs: number | undefined;
  readonly lastSeenMs: number | undefined;
  /** Newest value of each metric, in the server's order. */
  readonly latest: ReadonlyMap<string, number>;
  /** State changes of the last 24 h, oldest first. */
  readonly states: readonly { readonly state: AgentState; readonly sinceMs: number }[];
}

export function agentPath(agentId: string): string {
  return `${Paths.agents}/${encodeURIComponent(agentId)}`;
}

/** The answer, checked; null for an agent the server does not know (404). */
export function parseAgent(json: unknown): AgentDetail {
  const body = agentSchema.parse(json);
  const latest = new Map<string, number>();
  for (const [metric, value] of Object.entries(body.latest).slice(0, MAX_METRICS))
    if (typeof value === 'number' && Number.isFinite(value)) latest.set(metric, value);
  return {
    agentId: body.agent_id,
    state: body.state ?? (body.online ? 'online' : undefined),
    sinceMs: body.since,
    lastSeenMs: body.last_seen,
    latest,
    states: body.states.map(({ state, since }) => ({ state, sinceMs: since })),
  };
}

export async function getAgent(agentId: string, signal?: AbortSignal): Promise<AgentDetail | null> {
  try {
    return parseAgent(await apiGet<unknown>(agentPath(agentId), signal));
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

export function agentQueryKey(agentId: string) {
  return ['agent', agentId] as const;
}

export function agentQueryOptions(agentId: string) {
  return queryOptions({
    queryKey: agentQueryKey(agentId),
    queryFn: ({ signal }) => getAgent(agentId, signal),
    refetchInterval: AGENT_REFRESH_MS,
  });
}

export function useAgent(agentId: string) {
  return useQuery(agentQueryOptions(agentId));
}
