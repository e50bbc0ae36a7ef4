/**
 * `GET /api/agents`: fetcher, query options and hook, one cache for every panel that lists
 * agents (the Agents panel, the New task form's picker). Polled, because presence
 * (a connection closing, three silent intervals) is decided by the server and not broadcast.
 */
import { queryOptions, useQuery } from '@tanstack/react-query';
import { Paths, type AgentInfo } from '@nexus-realtime/client/protocol';
import { apiGet } from './api-client';

export const AGENTS_QUERY_KEY = ['agents'] as const;
export const AGENTS_REFETCH_INTERVAL_MS = 10_000;

export function getAgents(signal?: AbortSignal): Promise<AgentInfo[]> {
  return apiGet<AgentInfo[]>(Paths.agents, signal);
}

export function agentsQueryOptions() {
  return queryOptions({
    queryKey: AGENTS_QUERY_KEY,
    queryFn: ({ signal }) => getAgents(signal),
    refetchInterval: AGENTS_REFETCH_INTERVAL_MS,
  });
}

export function useAgents() {
  return useQuery(agentsQueryOptions());
}
