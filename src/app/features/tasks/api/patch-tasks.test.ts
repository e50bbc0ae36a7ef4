import { describe, expect, it } from 'vitest';
import type { Task, TaskUpdate } from '@nexus-realtime/client/protocol';
import { MAX_TASKS, parseTaskUpdate, patchTasks, reconcileTasks } from './patch-tasks';

const NOW_MS = Date.parse('2030-01-01T00:00:10.000Z');

function task(id: string, createdAt: string, extra: Partial<Task> = {}): Task {
  return {
    task_id: id,
    status: 'running',
    progress: 10,
    agent_id: 'agent_001',
    command: 'execute_task',
    created_at: createdAt,
    updated_at: createdAt,
    ...extra,
  };
}

function update(id: string, extra: Partial<TaskUpdate> = {}): TaskUpdate {
  return { task_id: id, status: 'running', progress: 50, ...extra };
}

describe('patchTasks', () => {
  it('inserts a new task with created_at = updated_at', () => {
    const [created] = patchTasks(
      undefined,
      [update('t1', { status: 'queued', progress: 0, updated_at: '2030-01-01T00:00:05.000Z' })],
      NOW_MS,
    );
    expect(created).toEqual({
      task_id: 't1',
      status: 'queued',
      progress: 0,
      agent_id: null,
      command: 'execute_task',
      created_at: '2030-01-01T00:00:05.000Z',
      updated_at: '2030-01-01T00:00:05.000Z',
    });
  });

  it('stamps an update without updated_at with the current time', () => {
    const [created] = patchTasks([], [update('t1')], NOW_MS);
    expect(created?.updated_at).toBe(new Date(NOW_MS).toISOString());
    expect(created?.created_at).toBe(created?.updated_at);
  });

  it('updates an existing task in place, keeping created_at, agent, command and params', () => {
    const current = [
      task('t1', '2030-01-01T00:00:01.000Z', { params: { n: 1 }, agent_id: 'agent_007', command: 'execute_task' }),
    ];
    const [patched] = patchTasks(
      current,
      [update('t1', { progress: 80, updated_at: '2030-01-01T00:00:09.000Z' })],
      NOW_MS,
    );
    expect(patched).toMatchObject({
      task_id: 't1',
      progress: 80,
      agent_id: 'agent_007',
      params: { n: 1 },
      created_at: '2030-01-01T00:00:01.000Z',
      updated_at: '2030-01-01T00:00:09.000Z',
    });
  });

  it('applies a batch in arrival order, the last update of a task winning', () => {
    const result = patchTasks(
      [],
      [
        update('t1', { progress: 10 }),
        update('t1', { progress: 20 }),
        update('t1', { status: 'failed', progress: 20, error: 'boom' }),
      ],
      NOW_MS,
    );
    expect(result).toHaveLength(1);
    expect(result[0]).toMatchObject({ status: 'failed', progress: 20, error: 'boom' });
  });

  it('keeps the list newest first by created_at', () => {
    const current = [task('b', '2030-01-01T00:00:02.000Z'), task('a', '2030-01-01T00:00:01.000Z')];
    const result = patchTasks(
      current,
      [
        update('c', { updated_at: '2030-01-01T00:00:03.000Z' }),
        update('a', { updated_at: '2030-01-01T00:00:09.000Z' }),
      ],
      NOW_MS,
    );
    expect(result.map((t) => t.task_id)).toEqual(['c', 'b', 'a']);
  });

  it(`caps the list at ${MAX_TASKS}, dropping the oldest`, () => {
    const current = Array.from({ length: MAX_TASKS }, (_, i) =>
      task(`old-${i}`, new Date(Date.parse('2030-01-01T00:00:00.000Z') - i * 1000).toISOString()),
    );
    const result = patchTasks(current, [update('new', { updated_at: '2030-01-01T00:00:05.000Z' })], NOW_MS);
    expect(result).toHaveLength(MAX_TASKS);
    expect(result[0]?.task_id).toBe('new');
    expect(result.some((t) => t.task_id === `old-${MAX_TASKS - 1}`)).toBe(false);
  });

  it('copies only known fields: unknown keys in a payload never reach the task', () => {
    const withExtras = { ...update('t1'), secret: 'x', nested: { a: 1 } } as TaskUpdate;
    const [created] = patchTasks([], [withExtras], NOW_MS);
    expect(created).not.toHaveProperty('secret');
    expect(created).not.toHaveProperty('nested');
  });

  it('ignores updates the server refuses (leaving a final status, going back to queued, progress going back)', () => {
    const current = [
      task('done', '2030-01-01T00:00:03.000Z', { status: 'cancelled' }),
      task('run', '2030-01-01T00:00:02.000Z', { status: 'running', progress: 60 }),
    ];
    const updates = [
      update('done', { progress: 70 }),
      update('run', { status: 'queued', progress: 0 }),
      update('run', { progress: 40 }),
    ];
    expect(patchTasks(current, updates, NOW_MS)).toBe(current);
  });

  it('keeps the error of a failed task when a repeated failed update has none', () => {
    const current = [task('t1', '2030-01-01T00:00:01.000Z', { status: 'failed', error: 'disk full' })];
    expect(patchTasks(current, [update('t1', { status: 'failed' })], NOW_MS)[0]?.error).toBe('disk full');
  });
});

describe('parseTaskUpdate', () => {
  it('accepts a valid update and strips unknown fields', () => {
    expect(parseTaskUpdate({ task_id: 't1', status: 'running', progress: 5, extra: true })).toEqual({
      task_id: 't1',
      status: 'running',
      progress: 5,
    });
  });

  it('rejects payloads that are not task updates', () => {
    expect(parseTaskUpdate({ task_id: 't1', status: 'exploded', progress: 5 })).toBeUndefined();
    expect(parseTaskUpdate({ task_id: 't1', status: 'running', progress: 500 })).toBeUndefined();
    expect(parseTaskUpdate('hello')).toBeUndefined();
  });
});

describe('reconcileTasks', () => {
  it('keeps live updates that raced the GET and are newer than the fetched copy', () => {
    const fetched = [task('t1', '2030-01-01T00:00:01.000Z', { progress: 10, updated_at: '2030-01-01T00:00:02.000Z' })];
    const cached = [task('t1', '2030-01-01T00:00:01.000Z', { progress: 90, updated_at: '2030-01-01T00:00:08.000Z' })];
    expect(reconcileTasks(cached, fetched, new Set(['t1']))[0]?.progress).toBe(90);
  });

  it('takes the fetched copy when it is as new or newer', () => {
    const fetched = [
      task('t1', '2030-01-01T00:00:01.000Z', {
        status: 'succeeded',
        progress: 100,
        updated_at: '2030-01-01T00:00:09.000Z',
      }),
    ];
    const cached = [task('t1', '2030-01-01T00:00:01.000Z', { progress: 90, updated_at: '2030-01-01T00:00:08.000Z' })];
    expect(reconcileTasks(cached, fetched, new Set(['t1']))[0]?.status).toBe('succeeded');
  });

  it('keeps a task created live during the GET that the answer does not list yet', () => {
    const fetched = [task('b', '2030-01-01T00:00:05.000Z')];
    const cached = [task('c', '2030-01-01T00:00:06.000Z'), task('a', '2030-01-01T00:00:01.000Z')];
    expect(reconcileTasks(cached, fetched, new Set(['c'])).map((t) => t.task_id)).toEqual(['c', 'b']);
  });

  it('after a server restart the answer is the truth: a task it no longer lists leaves the board', () => {
    const stale = [task('t1', '2030-01-01T00:00:01.000Z', { status: 'running', progress: 22 })];
    const fresh = [task('t2', '2030-01-01T00:00:00.000Z', { status: 'failed', progress: 0 })];
    expect(reconcileTasks(stale, fresh, new Set())).toEqual(fresh);
    // Newer cached data of a task nobody updated during the GET does not win either.
    const newer = [task('t2', '2030-01-01T00:00:00.000Z', { updated_at: '2030-01-01T00:00:09.000Z' })];
    expect(reconcileTasks(newer, fresh, new Set())).toEqual(fresh);
  });
});
