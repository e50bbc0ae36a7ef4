/**
 * How the task registry keeps a task. A task's `params` are kept as the JSON text they came in as
 * (at most 16 KiB), never as the parsed object: 16 KiB of `[{},{},…]` is about 350 KB of objects
 * on the heap, so ten thousand tasks kept parsed cost gigabytes. They are parsed back only for a
 * moment, when a task is published or stored; the task list is written out with the text spliced
 * in (`taskJson`).
 */
import type { Task, TaskHistoryEntry } from '@nexus-realtime/client/protocol';
import { UNKNOWN_AUTHOR } from './task-timeline.js';

/** A task as the registry keeps it: `params` as JSON text (`paramsJson`), not as objects; its timeline. */
export interface KeptTask extends Omit<Task, 'params' | 'created_by' | 'delivered_at'> {
  readonly paramsJson?: string;
  readonly created_by: string;
  readonly delivered_at: string | null;
  /** Oldest step first, bounded (task-timeline.ts). */
  readonly history: readonly TaskHistoryEntry[];
}

/** A task with its timeline, as stored (a task stored by an older version may lack the timeline). */
export type TimedTask = Task & { readonly history?: readonly TaskHistoryEntry[] };

/** The kept form of a task; a missing timeline starts empty. */
export function keepTask(task: TimedTask): KeptTask {
  const { params, created_by, delivered_at, history, ...rest } = task;
  const kept = {
    ...rest,
    created_by: created_by ?? UNKNOWN_AUTHOR,
    delivered_at: delivered_at ?? null,
    history: history ?? [],
  };
  return params === undefined ? kept : { ...kept, paramsJson: JSON.stringify(params) };
}

/** The task with its params parsed back and its timeline (for a publish or a store; not to be held). */
export function expandTask(kept: KeptTask): TimedTask {
  const { paramsJson, ...rest } = kept;
  return paramsJson === undefined ? rest : { ...rest, params: JSON.parse(paramsJson) as Record<string, unknown> };
}

/** The task's JSON as `GET /api/tasks` answers it (no timeline), without parsing its params. */
export function taskJson(kept: KeptTask): string {
  const { paramsJson, history: _history, ...rest } = kept;
  return withParams(JSON.stringify(rest), paramsJson);
}

/** The task's JSON with its timeline, as `GET /api/tasks/:task_id` answers it. */
export function taskDetailJson(kept: KeptTask): string {
  const { paramsJson, ...rest } = kept;
  return withParams(JSON.stringify(rest), paramsJson);
}

function withParams(head: string, paramsJson: string | undefined): string {
  return paramsJson === undefined ? head : `${head.slice(0, -1)},"params":${paramsJson}}`;
}
