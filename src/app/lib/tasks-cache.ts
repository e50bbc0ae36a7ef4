/**
 * The task list the Tasks region keeps (`GET /api/tasks`, live from `tasks`, loaded again after
 * a reconnect), read without fetching: the charts mark the commands sent to the agents they draw
 * from it, so the page asks the server for its tasks once, not once per reader. The query key is
 * a literal here because lib must not import a feature.
 */
import { useCallback, useSyncExternalStore } from 'react';
import type { Task } from '@nexus-realtime/client/protocol';
import { queryClient } from './query-client';

export const TASKS_QUERY_KEY = ['tasks'] as const;

const NO_TASKS: readonly Task[] = [];

function subscribeToCache(onChange: () => void): () => void {
  return queryClient.getQueryCache().subscribe(onChange);
}

/** The cached tasks, newest first (none before the first load); re-renders only when the list changes. */
export function useCachedTasks(): readonly Task[] {
  const read = useCallback(() => queryClient.getQueryData<Task[]>(TASKS_QUERY_KEY) ?? NO_TASKS, []);
  return useSyncExternalStore(subscribeToCache, read);
}
