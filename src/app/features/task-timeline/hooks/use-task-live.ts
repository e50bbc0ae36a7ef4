/**
 * Asks a shown task's timeline again when the `tasks` channel reports on it — at most once per
 * REFRESH_GAP_MS, so a burst of progress reports costs one request and one render.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { Channel } from '@nexus-realtime/client/protocol';
import { nexus } from '../../../lib/nexus';
import { taskQueryKey } from '../api/get-task';

const REFRESH_GAP_MS = 500;

function taskIdOf(data: unknown): unknown {
  return typeof data === 'object' && data !== null ? (data as { task_id?: unknown }).task_id : undefined;
}

export function useTaskLive(taskId: string): void {
  const queryClient = useQueryClient();
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const refresh = () => {
      timer = undefined;
      void queryClient.invalidateQueries({ queryKey: taskQueryKey(taskId) });
    };
    const off = nexus().on(Channel.Tasks, (data) => {
      if (taskIdOf(data) === taskId) timer ??= setTimeout(refresh, REFRESH_GAP_MS);
    });
    return () => {
      off();
      clearTimeout(timer);
    };
  }, [queryClient, taskId]);
}
