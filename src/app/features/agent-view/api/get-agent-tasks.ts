/**
 * `GET /api/tasks?agent_id=…`: the newest tasks of one agent, for its view: fetcher, query options
 * and hook. Kept live by `useAgentTasksLive` (the `tasks` channel says when to ask again).
 */
import { queryOptions, useQuery } from '@tanstack/react-query';
import { Paths, type Task } from '@nexus-realtime/client/protocol';
import { apiGet } from '../../../lib/api-client';

/** Tasks listed in an agent's view, newest first. */
export const AGENT_TASKS_LIMIT = 50;

export function agentTasksQueryKey(agentId: string) {
  return ['agent-tasks', agentId] as const;
}

export function getAgentTasks(agentId: string, signal?: AbortSignal): Promise<Task[]> {
  const params = new URLSearchParams({ agent_id: agentId, limit: String(AGENT_TASKS_LIMIT) });
  return apiGet<Task[]>(`${Paths.tasks}?${params.toString()}`, signal);
}

export function agentTasksQueryOptions(agentId: string) {
  return queryOptions({
    queryKey: agentTasksQueryKey(agentId),
    queryFn: ({ signal }) => getAgentTasks(agentId, signal),
  });
}

export function useAgentTasks(agentId: string) {
  return useQuery(agentTasksQueryOptions(agentId));
}
