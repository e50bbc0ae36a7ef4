/**
 * `GET /api/tasks/:task_id`, asked when a person hovers a command marker on a chart: who created
 * the task and who cancelled it (the task list carries neither for a task created live). Only the
 * few fields the marker shows are read.
 */
import { queryOptions, useQuery } from '@tanstack/react-query';
import { TaskStatus, Paths } from '@nexus-realtime/client/protocol';
import { apiGet } from '../../../lib/api-client';

interface TaskWho {
  readonly createdBy: string | undefined;
  readonly cancelledBy: string | undefined;
  readonly status: string | undefined;
}

type Step = { status?: unknown; by?: unknown };

export async function getCommandTask(taskId: string, signal?: AbortSignal): Promise<TaskWho> {
  const path = Paths.task.replace(':task_id', encodeURIComponent(taskId));
  const task = await apiGet<{ created_by?: unknown; status?: unknown; history?: unknown }>(path, signal);
  const history: Step[] = Array.isArray(task.history) ? (task.history as Step[]) : [];
  const cancel = history.findLast((step) => step.status === TaskStatus.Cancelled);
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value.slice(0, 128) : undefined);
  return { createdBy: text(task.created_by), cancelledBy: text(cancel?.by), status: text(task.status) };
}

export function commandTaskQueryOptions(taskId: string) {
  return queryOptions({
    queryKey: ['command-task', taskId] as const,
    queryFn: ({ signal }) => getCommandTask(taskId, signal),
    staleTime: 2_000,
  });
}

/** Loaded only while `enabled` (the marker is hovered or focused). */
export function useCommandTask(taskId: string, enabled: boolean) {
  return useQuery({ ...commandTaskQueryOptions(taskId), enabled });
}
