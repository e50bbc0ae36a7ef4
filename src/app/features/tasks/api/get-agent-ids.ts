/**
 * The ids of every agent the server knows, for the "New task" form's agent picker: the same
 * `GET /api/agents` query (and cache) as the Agents panel, reduced to ids.
 */
import { useQuery } from '@tanstack/react-query';
import type { AgentInfo } from '@nexus-realtime/client/protocol';
import { agentsQueryOptions } from '../../../lib/agents-query';

const toIds = (agents: AgentInfo[]) => agents.map((agent) => agent.agent_id);

export function useAgentIds() {
  return useQuery({ ...agentsQueryOptions(), select: toIds });
}
