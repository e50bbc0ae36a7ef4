/**
 * `GET /api/agents`, as the "New task" form needs it: the ids of every agent the server knows,
 * for the agent picker. Asked only while the form is open.
 */
import { queryOptions, useQuery } from '@tanstack/react-query';
import { Paths, type AgentInfo } from '@nexus-realtime/client/protocol';
import { apiGet } from '../../../lib/api-client';

export const AGENT_IDS_QUERY_KEY = ['agent-ids'] as const;
const AGENT_IDS_STALE_MS = 10_000;

export async function getAgentIds(signal?: AbortSignal): Promise<string[]> {
  const agents = await apiGet<AgentInfo[]>(Paths.agents, signal);
  return agents.map((agent) => agent.agent_id);
}

export function agentIdsQueryOptions() {
  return queryOptions({
    queryKey: AGENT_IDS_QUERY_KEY,
    queryFn: ({ signal }) => getAgentIds(signal),
    staleTime: AGENT_IDS_STALE_MS,
  });
}

export function useAgentIds() {
  return useQuery(agentIdsQueryOptions());
}
