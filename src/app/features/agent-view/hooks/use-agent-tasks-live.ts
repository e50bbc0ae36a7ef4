/**
 * Keeps an agent's task list current: when the `tasks` channel reports on a task of this agent
 * (or one the list holds), the list is asked again — at most once per REFRESH_GAP_MS, so a burst
 * of progress reports costs one request and one render.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { Channel } from '@nexus-realtime/client/protocol';
import { nexus } from '../../../lib/nexus';
import { agentTasksQueryKey } from '../api/get-agent-tasks';

const REFRESH_GAP_MS = 500;

function fieldOf(data: unknown, key: 'task_id' | 'agent_id'): unknown {
  return typeof data === 'object' && data !== null ? (data as Record<string, unknown>)[key] : undefined;
}

export function useAgentTasksLive(agentId: string, taskIds: ReadonlySet<string>): void {
  const queryClient = useQueryClient();
  const known = useRef(taskIds);
  known.current = taskIds;
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const refresh = () => {
      timer = undefined;
      void queryClient.invalidateQueries({ queryKey: agentTasksQueryKey(agentId) });
    };
    const off = nexus().on(Channel.Tasks, (data) => {
      const taskId = fieldOf(data, 'task_id');
      const mine = fieldOf(data, 'agent_id') === agentId || (typeof taskId === 'string' && known.current.has(taskId));
      if (mine) timer ??= setTimeout(refresh, REFRESH_GAP_MS);
    });
    return () => {
      off();
      clearTimeout(timer);
    };
  }, [queryClient, agentId]);
}
