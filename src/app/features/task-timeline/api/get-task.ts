/**
 * `GET /api/tasks/:task_id`: one task with its timeline — who created it and when, when its
 * command reached the agent (`delivered_at`, null until then), and every status with who caused
 * it — fetcher, query options and hook. Checked with zod at the edge: the steps come partly from
 * agents. Asked again every few seconds while the task is not final (delivery is not a status,
 * so no `tasks` message says it), and at once when the `tasks` channel reports on it.
 */
import { queryOptions, useQuery } from '@tanstack/react-query';
import { z } from 'zod';
import { FINAL_TASK_STATUSES, Paths, TASK_STATUSES, type TaskStatus } from '@nexus-realtime/client/protocol';
import { ApiError, apiGet } from '../../../lib/api-client';

/** While a task may still change, its timeline is asked again this often. */
export const TASK_REFRESH_MS = 2_000;
/** More steps than a task ever has (a progress report is a step): a bound, not a choice. */
const MAX_STEPS = 10_000;

const text = (max: number) => z.string().max(max);
const stepSchema = z.object({
  status: z.enum(TASK_STATUSES),
  progress: z.number().finite().optional(),
  at: text(64),
  by: text(256).optional().default(''),
  error: text(2_000).optional(),
});

const taskSchema = z.object({
  task_id: text(128),
  status: z.enum(TASK_STATUSES),
  progress: z.number().finite(),
  agent_id: text(128).nullable().optional().default(null),
  command: text(128).optional().default('execute_task'),
  created_at: text(64),
  updated_at: text(64),
  created_by: text(256).optional(),
  delivered_at: text(64).nullable().optional(),
  error: text(2_000).optional(),
  history: z.array(stepSchema).max(MAX_STEPS).optional().default([]),
});

export type TaskStep = z.infer<typeof stepSchema>;
export type TaskWithTimeline = z.infer<typeof taskSchema>;

export function taskPath(taskId: string): string {
  return Paths.tasks + '/' + encodeURIComponent(taskId);
}

/** The task, or null when the server does not know it (404). */
export async function getTask(taskId: string, signal?: AbortSignal): Promise<TaskWithTimeline | null> {
  try {
    return taskSchema.parse(await apiGet<unknown>(taskPath(taskId), signal));
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

export function taskQueryKey(taskId: string) {
  return ['task', taskId] as const;
}

function isFinal(status: TaskStatus | undefined): boolean {
  return status !== undefined && FINAL_TASK_STATUSES.has(status);
}

export function taskQueryOptions(taskId: string) {
  return queryOptions({
    queryKey: taskQueryKey(taskId),
    queryFn: ({ signal }) => getTask(taskId, signal),
    // A task not known yet may be on its way (the command was just sent): asked again too.
    refetchInterval: (query) => (isFinal(query.state.data?.status) ? false : TASK_REFRESH_MS),
  });
}

export function useTask(taskId: string) {
  return useQuery(taskQueryOptions(taskId));
}
