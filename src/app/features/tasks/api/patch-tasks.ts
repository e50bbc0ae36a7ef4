/**
 * Pure patches of the cached task list: live `tasks` updates upserted into what
 * `GET /api/tasks` served, and a fresh GET reconciled with updates that raced it. No React and
 * no I/O here, so the rules are tested on their own.
 */
import {
  mergeTaskUpdate,
  taskTransitionProblem,
  taskUpdateSchema,
  type Task,
  type TaskUpdate,
} from '@nexus-realtime/client/protocol';

/** How many tasks the dashboard asks for and keeps. */
export const MAX_TASKS = 500;

/** A `tasks` payload checked at the edge; anything else on the channel is ignored. */
export function parseTaskUpdate(data: unknown): TaskUpdate | undefined {
  const parsed = taskUpdateSchema.safeParse(data);
  return parsed.success ? parsed.data : undefined;
}

function timeMs(iso: string): number {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? 0 : ms;
}

/** Newest first by creation, as `GET /api/tasks` orders them; capped at MAX_TASKS. */
function newestFirst(tasks: Iterable<Task>): Task[] {
  return [...tasks]
    .map((task) => ({ task, createdMs: timeMs(task.created_at) }))
    .sort((a, b) => b.createdMs - a.createdMs)
    .slice(0, MAX_TASKS)
    .map(({ task }) => task);
}

/**
 * Upserts a batch of updates (in arrival order) by task id. A new task gets
 * `created_at = updated_at`. Returns `current` itself when nothing changed, so React skips a render.
 */
export function patchTasks(
  current: readonly Task[] | undefined,
  updates: readonly TaskUpdate[],
  nowMs: number,
): Task[] {
  const byId = new Map((current ?? []).map((task) => [task.task_id, task]));
  const nowIso = new Date(nowMs).toISOString();
  let changed = false;
  for (const update of updates) {
    const existing = byId.get(update.task_id);
    // The server refuses these (yet they are still broadcast, e.g. a late progress report after
    // a cancel): applying the same rules keeps the table equal to the REST view.
    if (existing && taskTransitionProblem(existing, update)) continue;
    byId.set(update.task_id, mergeTaskUpdate(existing, update, nowIso));
    changed = true;
  }
  if (!changed && current) return current as Task[];
  return newestFirst(byId.values());
}

/**
 * A GET answers with the server's state when it read it: that is the truth, also after a server
 * restart forgot a task the page still shows running. Only live updates that arrived while the
 * request was in flight (`touchedIds`) can be newer: such a cached task is kept when it was
 * updated later than the fetched copy, or when the answer does not list it yet.
 */
export function reconcileTasks(
  cached: readonly Task[] | undefined,
  fetched: readonly Task[],
  touchedIds: ReadonlySet<string>,
): Task[] {
  if (!cached?.length || touchedIds.size === 0) return [...fetched];
  const fetchedById = new Map(fetched.map((task) => [task.task_id, task]));
  const merged = new Map(fetchedById);
  for (const task of cached) {
    if (!touchedIds.has(task.task_id)) continue;
    const copy = fetchedById.get(task.task_id);
    if (!copy || timeMs(task.updated_at) > timeMs(copy.updated_at)) merged.set(task.task_id, task);
  }
  return newestFirst(merged.values());
}
