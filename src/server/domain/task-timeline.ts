/**
 * A task's timeline: one step per status change, each saying when and by whom. Progress reports
 * of a running task are coalesced — the step where it started and the latest report are kept —
 * and the whole timeline is capped, so a task that reports progress every second for a day costs
 * the same as one that ran for a minute (10,000 tasks, a bounded few steps each).
 */
import { TaskStatus, type TaskHistoryEntry } from '@nexus-realtime/client/protocol';

/** Most steps a timeline keeps: the first (its creation) and the newest ones. */
export const MAX_TASK_HISTORY = 12;

/** Who a step is attributed to when its author is not known (a task stored by an older version). */
export const UNKNOWN_AUTHOR = 'unknown';

/** One step, with only the fields that apply. */
export function taskStep(
  status: TaskStatus,
  progress: number,
  at: string,
  by: string,
  error?: string,
): TaskHistoryEntry {
  return error === undefined ? { status, progress, at, by } : { status, progress, at, by, error };
}

/**
 * The timeline with `step` added: a progress report that follows two running steps replaces the
 * latest of them; past `MAX_TASK_HISTORY` the oldest steps after the first leave.
 */
export function appendStep(history: readonly TaskHistoryEntry[], step: TaskHistoryEntry): TaskHistoryEntry[] {
  const count = history.length;
  const coalesce =
    step.status === TaskStatus.Running &&
    count >= 2 &&
    history[count - 1]!.status === TaskStatus.Running &&
    history[count - 2]!.status === TaskStatus.Running;
  const next = coalesce ? [...history.slice(0, -1), step] : [...history, step];
  return next.length > MAX_TASK_HISTORY ? [next[0]!, ...next.slice(next.length - MAX_TASK_HISTORY + 1)] : next;
}
