/** `GET /api/tasks` (CONTRACT §8): fetcher, query options and hook. Kept live by `useLiveTasks`. */
import { queryOptions, useQuery } from '@tanstack/react-query';
import { Paths, type Task } from '@nexus-realtime/client/protocol';
import { apiGet } from '../../../lib/api-client';
import { MAX_TASKS, reconcileTasks } from './patch-tasks';

export const TASKS_QUERY_KEY = ['tasks'] as const;

/** The newest MAX_TASKS tasks, newest first. */
export function getTasks(signal?: AbortSignal): Promise<Task[]> {
  return apiGet<Task[]>(`${Paths.tasks}?limit=${MAX_TASKS}`, signal);
}

export function tasksQueryOptions() {
  return queryOptions({
    queryKey: TASKS_QUERY_KEY,
    // Live updates may land in the cache while the GET is in flight: keep the newer of each.
    queryFn: async ({ client, signal }) =>
      reconcileTasks(client.getQueryData<Task[]>(TASKS_QUERY_KEY), await getTasks(signal)),
  });
}

export function useTasks() {
  return useQuery(tasksQueryOptions());
}
