/**
 * `GET /api/agents`: fetcher, query options and hook, one cache for every panel that lists
 * agents (the Agents panel, the New task form's picker, the chart's agent chips). Read a page at a
 * time (`?limit=`/`?offset=`), so a fleet of thousands costs the page one page, not every agent and
 * not every raw telemetry message. Polled, because presence (a connection closing, three silent
 * intervals) is decided by the server. This module is the agent list's one data source: an
 * `agents` channel of state changes can replace the polling here.
 */
import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { Paths, type AgentInfo } from '@nexus-realtime/client/protocol';
import { apiGet } from './api-client';

export const AGENTS_QUERY_KEY = ['agents'] as const;
export const AGENTS_REFETCH_INTERVAL_MS = 5_000;
/** Agents per page. */
export const AGENTS_PAGE_SIZE = 500;

/** The first page keeps the plain key, so every reader of "the agents" shares it. */
export function agentsQueryKey(offset: number) {
  return offset === 0 ? AGENTS_QUERY_KEY : ([...AGENTS_QUERY_KEY, offset] as const);
}

export function getAgents(offset = 0, signal?: AbortSignal): Promise<AgentInfo[]> {
  return apiGet<AgentInfo[]>(`${Paths.agents}?limit=${AGENTS_PAGE_SIZE}&offset=${offset}`, signal);
}

export function agentsQueryOptions(offset = 0) {
  return queryOptions({
    queryKey: agentsQueryKey(offset),
    queryFn: ({ signal }) => getAgents(offset, signal),
    refetchInterval: AGENTS_REFETCH_INTERVAL_MS,
    placeholderData: keepPreviousData,
  });
}

/** One page of agents, from `offset` (a multiple of AGENTS_PAGE_SIZE). */
export function useAgents(offset = 0) {
  return useQuery(agentsQueryOptions(offset));
}

/** Whether a page that came back this long may have more after it. */
export function mayHaveMore(page: readonly unknown[] | undefined): boolean {
  return (page?.length ?? 0) >= AGENTS_PAGE_SIZE;
}
