/**
 * Pure patches of the cached task list: live `tasks` updates (CONTRACT §9) upserted into what
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
 * A GET answers with the server's state when it read it; live updates that arrived while the
 * request was in flight are newer. Keeps a cached task when it was updated later than the
 * fetched copy, or when it is absent from the answer but created after everything in it.
 */
export function reconcileTasks(cached: readonly Task[] | undefined, fetched: readonly Task[]): Task[] {
  if (!cached?.length) return [...fetched];
  const fetchedById = new Map(fetched.map((task) => [task.task_id, task]));
  const newestFetchedMs = Math.max(-Infinity, ...fetched.map((task) => timeMs(task.created_at)));
  const merged = new Map(fetchedById);
  for (const task of cached) {
    const copy = fetchedById.get(task.task_id);
    const newer = copy ? timeMs(task.updated_at) > timeMs(copy.updated_at) : timeMs(task.created_at) > newestFetchedMs;
    if (newer) merged.set(task.task_id, task);
  }
  return newestFirst(merged.values());
}
