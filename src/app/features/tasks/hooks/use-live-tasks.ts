/**
 * Keeps the ['tasks'] cache live from the `tasks` channel. Updates are buffered and applied at
 * most once per animation frame — a burst of progress reports costs one render, and none is
 * dropped. The listener is removed on unmount, so StrictMode's double effects leave exactly one.
 */
import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { Channel, type Task, type TaskUpdate } from '@nexus-realtime/client/protocol';
import { createFrameScheduler } from '../../../lib/frame-scheduler';
import { nexus } from '../../../lib/nexus';
import { noteLiveTaskUpdate, TASKS_QUERY_KEY } from '../api/get-tasks';
import { parseTaskUpdate, patchTasks } from '../api/patch-tasks';

function applyBatch(queryClient: QueryClient, pending: TaskUpdate[]): void {
  const batch = pending.splice(0);
  if (batch.length === 0) return;
  queryClient.setQueryData<Task[]>(TASKS_QUERY_KEY, (current) => patchTasks(current, batch, Date.now()));
}

export function useLiveTasks(): void {
  const queryClient = useQueryClient();
  useEffect(() => {
    const pending: TaskUpdate[] = [];
    const scheduler = createFrameScheduler(() => applyBatch(queryClient, pending));
    const off = nexus().on(Channel.Tasks, (data) => {
      const update = parseTaskUpdate(data);
      if (!update) return;
      noteLiveTaskUpdate(update.task_id);
      pending.push(update);
      scheduler.schedule();
    });
    return () => {
      off();
      scheduler.cancel();
      applyBatch(queryClient, pending); // what arrived in the last frame still counts
    };
  }, [queryClient]);
}
