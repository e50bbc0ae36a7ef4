/**
 * Task state rules shared by the server's registry and the dashboard's live table, so both
 * accept and merge the same updates: a final state is never left, nothing goes
 * back to `queued`, and a running task's progress never goes down.
 */
import { CommandName, FINAL_TASK_STATUSES, TaskStatus, type Task, type TaskUpdate } from './domain.js';

/** Why `update` may not be applied to `current`, or undefined when it may. */
export function taskTransitionProblem(current: Task, update: TaskUpdate): string | undefined {
  if (FINAL_TASK_STATUSES.has(current.status)) {
    // An exact repeat is harmless (ignored); anything else would rewrite history.
    return sameTaskState(current, update) ? undefined : `task is already ${current.status}`;
  }
  if (update.status === TaskStatus.Queued && current.status !== TaskStatus.Queued)
    return `cannot go back from ${current.status} to queued`;
  if (
    update.status === TaskStatus.Running &&
    current.status === TaskStatus.Running &&
    update.progress < current.progress
  ) {
    return `progress cannot go back from ${current.progress} to ${update.progress}`;
  }
  return undefined;
}

/** True when `update` changes nothing in `current`. */
export function sameTaskState(current: Task, update: TaskUpdate): boolean {
  return (
    current.status === update.status &&
    current.progress === update.progress &&
    (update.agent_id ?? current.agent_id) === current.agent_id
  );
}

/** The task after `update`; copies only known fields, so stray payload keys never get in. */
export function mergeTaskUpdate(current: Task | undefined, update: TaskUpdate, nowIso: string): Task {
  const updatedAt = update.updated_at ?? nowIso;
  const error = update.error ?? (current?.status === update.status ? current.error : undefined);
  const params = current?.params ?? update.params;
  return {
    task_id: update.task_id,
    status: update.status,
    progress: update.progress,
    agent_id: update.agent_id ?? current?.agent_id ?? null,
    command: update.command ?? current?.command ?? CommandName.ExecuteTask,
    ...(params ? { params } : {}),
    created_at: current?.created_at ?? updatedAt,
    updated_at: updatedAt,
    ...(error !== undefined ? { error } : {}),
  };
}
