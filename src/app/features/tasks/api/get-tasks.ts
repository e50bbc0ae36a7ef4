/** `GET /api/tasks`: fetcher, query options and hook. Kept live by `useLiveTasks`. */
import { queryOptions, useQuery } from '@tanstack/react-query';
import { Paths, type Task } from '@nexus-realtime/client/protocol';
import { apiGet } from '../../../lib/api-client';
import { isRetryableLoadError } from '../../../lib/load-error-text';
import { MAX_TASKS, reconcileTasks } from './patch-tasks';

export const TASKS_QUERY_KEY = ['tasks'] as const;
/** While the last load failed for a reason that may pass (no answer, 5xx), it is asked again this often. */
export const TASKS_RETRY_INTERVAL_MS = 5_000;

/** The newest MAX_TASKS tasks, newest first. */
export function getTasks(signal?: AbortSignal): Promise<Task[]> {
  return apiGet<Task[]>(`${Paths.tasks}?limit=${MAX_TASKS}`, signal);
}

/** Per GET in flight, the ids of tasks updated live meanwhile (several GETs may overlap). */
const touchedWhileFetching = new Set<Set<string>>();

/** A live update of a task arrived (see `useLiveTasks`). */
export function noteLiveTaskUpdate(taskId: string): void {
  for (const touched of touchedWhileFetching) touched.add(taskId);
}

export function tasksQueryOptions() {
  return queryOptions({
    queryKey: TASKS_QUERY_KEY,
    // The answer replaces the list; live updates that raced the GET are kept when newer.
    queryFn: async ({ client, signal }) => {
      const touched = new Set<string>();
      touchedWhileFetching.add(touched);
      try {
        const fetched = await getTasks(signal);
        return reconcileTasks(client.getQueryData<Task[]>(TASKS_QUERY_KEY), fetched, touched);
      } finally {
        touchedWhileFetching.delete(touched);
      }
    },
    // Kept live by the socket otherwise; a failed load must not wait for a reconnect to be retried.
    refetchInterval: (query) => (isRetryableLoadError(query.state.error) ? TASKS_RETRY_INTERVAL_MS : false),
  });
}

export function useTasks() {
  return useQuery(tasksQueryOptions());
}
