/**
 * TaskRegistry: execute_task → queued at once (published), updates move a task, invalid updates
 * are logged and never stored, cancel_task cancels a queued task, list() newest first with
 * filters, and the newest N tasks are kept.
 */
import { pino } from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Task } from '@nexus-realtime/client/protocol';
import type { BrokerMessage } from '../broker/index.js';
import { DEFAULT_TASK_CAPACITY, TaskRegistry, expandTask, keepTask, taskDetailJson, taskJson } from './tasks.js';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');

interface Harness {
  registry: TaskRegistry;
  published: Task[];
  logs: Array<Record<string, unknown>>;
  clock: { now: number };
}

function harness(capacity?: number): Harness {
  const published: Task[] = [];
  const logs: Array<Record<string, unknown>> = [];
  const logger = pino(
    { level: 'trace' },
    { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
  );
  const clock = { now: T0 };
  const registry = new TaskRegistry({
    logger,
    now: () => clock.now,
    publishUpdate: (task) => published.push(expandTask(task)),
    ...(capacity === undefined ? {} : { capacity }),
  });
  return { registry, published, logs, clock };
}

let seq = 0;
function message(channel: string, data: unknown, from = 'someone'): BrokerMessage {
  seq += 1;
  return { channel, kind: 'message', from, data, timestamp: new Date(T0).toISOString(), seq, epoch: 'e1' };
}
const command = (data: unknown, from = 'op1') => message('commands', data, from);
const update = (data: unknown, from = 'agent_001') => message('tasks', data, from);
const execute = (taskId: string, extra: Record<string, unknown> = {}) =>
  command({ command: 'execute_task', task_id: taskId, ...extra });
const running = (taskId: string, progress: number, agentId = 'agent_001') =>
  update({ task_id: taskId, status: 'running', progress, agent_id: agentId, command: 'execute_task' });

const rejections = (h: Harness) => h.logs.filter((l) => l.msg === 'task update rejected');

describe('TaskRegistry: execute_task', () => {
  let h: Harness;
  beforeEach(() => {
    h = harness();
  });

  it('creates a queued task at once and publishes it', () => {
    h.registry.observe(execute('task_1', { agent_id: 'agent_003', params: { script: 'build.sh', retries: 2 } }));
    const expected = {
      task_id: 'task_1',
      status: 'queued',
      progress: 0,
      agent_id: 'agent_003',
      command: 'execute_task',
      params: { script: 'build.sh', retries: 2 },
      created_at: '2025-03-01T12:00:00.000Z',
      updated_at: '2025-03-01T12:00:00.000Z',
      created_by: 'op1',
      delivered_at: null,
      history: [{ status: 'queued', progress: 0, at: '2025-03-01T12:00:00.000Z', by: 'op1' }],
    };
    expect(expandTask(h.registry.get('task_1')!)).toEqual(expected);
    expect(h.published).toEqual([expected]);
    expect(h.registry.size).toBe(1);
  });

  it('keeps params as their JSON text and writes the task out without parsing them', () => {
    const params = { list: [{}, {}, { deep: [1, 'two', null] }], s: 'quote " and \\ backslash' };
    h.registry.observe(execute('task_p', { agent_id: 'agent_003', params }));
    const kept = h.registry.get('task_p')!;
    expect(kept.paramsJson).toBe(JSON.stringify(params));
    expect(Object.keys(kept)).not.toContain('params');
    expect(JSON.parse(taskDetailJson(kept))).toEqual(expandTask(kept));
    // The list form is the same without the timeline.
    const { history: _history, ...listed } = expandTask(kept);
    expect(JSON.parse(taskJson(kept))).toEqual(listed);
    expect(JSON.parse(taskJson(kept)).params).toEqual(params);
    // Without params the text is the task itself; keep/expand round-trip.
    h.registry.observe(execute('task_q'));
    expect(JSON.parse(taskDetailJson(h.registry.get('task_q')!))).toEqual(expandTask(h.registry.get('task_q')!));
    expect(expandTask(keepTask(expandTask(kept)))).toEqual(expandTask(kept));
  });

  it('lists newest first and stops at the limit without walking the whole registry', () => {
    for (let i = 0; i < 50; i++) h.registry.observe(execute(`t${i}`, i % 2 ? { agent_id: 'odd' } : {}));
    expect(h.registry.list({ limit: 3 }).map((t) => t.task_id)).toEqual(['t49', 't48', 't47']);
    expect(h.registry.list({ agentId: 'odd', limit: 2 }).map((t) => t.task_id)).toEqual(['t49', 't47']);
    const page = [...h.registry.iterate({ limit: 5 })];
    expect(page.map((t) => t.task.task_id)).toEqual(['t49', 't48', 't47', 't46', 't45']);
    // The last one's position asks for the tasks after it.
    const rest = [...h.registry.iterate({ limit: 2, before: page.at(-1)!.position })];
    expect(rest.map((t) => t.task.task_id)).toEqual(['t44', 't43']);
  });

  it('an unaddressed task has agent_id null', () => {
    h.registry.observe(execute('task_u'));
    expect(h.registry.get('task_u')).toMatchObject({ status: 'queued', agent_id: null, progress: 0 });
    expect(h.published).toHaveLength(1);
  });

  it('a duplicate task id is ignored (first one kept, nothing published again)', () => {
    h.registry.observe(execute('task_1', { agent_id: 'agent_001' }));
    h.registry.observe(running('task_1', 30));
    h.registry.observe(execute('task_1', { agent_id: 'agent_002', params: { other: true } }));
    expect(h.registry.get('task_1')).toMatchObject({ status: 'running', progress: 30, agent_id: 'agent_001' });
    expect(h.registry.get('task_1')!.paramsJson).toBeUndefined();
    expect(h.published).toHaveLength(1);
    expect(h.registry.size).toBe(1);
    expect(h.logs.some((l) => l.msg === 'execute_task for an existing task id ignored')).toBe(true);
  });

  it('malformed or unknown commands create nothing and never throw', () => {
    const bad: unknown[] = [
      null,
      'execute_task',
      42,
      [],
      { command: 'execute_task' },
      { command: 'execute_task', task_id: '' },
      { command: 'execute_task', task_id: 7 },
      { command: 'execute_task', task_id: 'x'.repeat(129) },
      { command: 'execute_task', task_id: 't', params: 'not an object' },
      { command: 'reboot', task_id: 'task_x' },
      { task_id: 'task_y' },
    ];
    for (const data of bad) expect(() => h.registry.observe(command(data))).not.toThrow();
    expect(h.registry.size).toBe(0);
    expect(h.published).toEqual([]);
  });

  it('ignores other channels', () => {
    h.registry.observe(message('telemetry', { command: 'execute_task', task_id: 'task_t' }));
    h.registry.observe(message('events', { task_id: 'task_t', status: 'running', progress: 5 }));
    expect(h.registry.size).toBe(0);
  });
});

describe('TaskRegistry: updates', () => {
  let h: Harness;
  beforeEach(() => {
    h = harness();
    h.registry.observe(execute('task_1', { params: { n: 1 } }));
  });

  it('updates move the task: running with rising progress, then succeeded', () => {
    h.clock.now = T0 + 1000;
    h.registry.observe(update({ task_id: 'task_1', status: 'running', progress: 0, agent_id: 'agent_002' }));
    expect(h.registry.get('task_1')).toMatchObject({ status: 'running', progress: 0, agent_id: 'agent_002' });
    h.registry.observe(running('task_1', 40, 'agent_002'));
    expect(h.registry.get('task_1')).toMatchObject({ status: 'running', progress: 40 });
    h.registry.observe(
      update({
        task_id: 'task_1',
        status: 'succeeded',
        progress: 100,
        agent_id: 'agent_002',
        updated_at: '2025-03-01T12:00:05.000Z',
      }),
    );
    const task = expandTask(h.registry.get('task_1')!);
    expect(task).toMatchObject({
      status: 'succeeded',
      progress: 100,
      agent_id: 'agent_002',
      command: 'execute_task',
      params: { n: 1 }, // kept from the command
      created_at: '2025-03-01T12:00:00.000Z', // kept from creation
      updated_at: '2025-03-01T12:00:05.000Z',
    });
    expect(rejections(h)).toEqual([]);
    // Only the server's own queued update was published: agents' updates are already on `tasks`.
    expect(h.published.map((t) => t.status)).toEqual(['queued']);
  });

  it('a failed update keeps its error text', () => {
    h.registry.observe(running('task_1', 10));
    h.registry.observe(
      update({
        task_id: 'task_1',
        status: 'failed',
        progress: 35,
        agent_id: 'agent_001',
        error: 'exit code 137: out of memory',
      }),
    );
    expect(h.registry.get('task_1')).toMatchObject({
      status: 'failed',
      progress: 35,
      error: 'exit code 137: out of memory',
    });
  });

  it('an update without agent_id keeps the known agent', () => {
    h.registry.observe(running('task_1', 10, 'agent_004'));
    h.registry.observe(update({ task_id: 'task_1', status: 'running', progress: 20 }));
    expect(h.registry.get('task_1')).toMatchObject({ progress: 20, agent_id: 'agent_004' });
  });

  it('repeating the final state is accepted silently (idempotent)', () => {
    h.registry.observe(running('task_1', 50));
    const final = { task_id: 'task_1', status: 'succeeded', progress: 100, agent_id: 'agent_001' };
    h.registry.observe(update(final));
    h.registry.observe(update(final));
    expect(h.registry.get('task_1')).toMatchObject({ status: 'succeeded', progress: 100 });
    expect(rejections(h)).toEqual([]);
  });

  describe('invalid updates are rejected with a log line and never stored', () => {
    const expectRejected = (data: unknown, expectedTask: Partial<Task>) => {
      const before = h.registry.get('task_1');
      const logged = rejections(h).length;
      expect(() => h.registry.observe(update(data))).not.toThrow();
      expect(rejections(h).length).toBe(logged + 1);
      expect(h.registry.get('task_1')).toEqual(before);
      expect(h.registry.get('task_1')).toMatchObject(expectedTask);
    };

    it('unknown status', () => {
      expectRejected(
        { task_id: 'task_1', status: 'paused', progress: 10, agent_id: 'agent_001' },
        { status: 'queued' },
      );
      expectRejected({ task_id: 'task_1', status: 'RUNNING', progress: 10 }, { status: 'queued' });
    });

    it('progress out of range (-1, 101) or not a number', () => {
      expectRejected(
        { task_id: 'task_1', status: 'running', progress: -1, agent_id: 'agent_001' },
        { status: 'queued', progress: 0 },
      );
      expectRejected(
        { task_id: 'task_1', status: 'running', progress: 101, agent_id: 'agent_001' },
        { status: 'queued', progress: 0 },
      );
      expectRejected(
        { task_id: 'task_1', status: 'running', progress: '50', agent_id: 'agent_001' },
        { status: 'queued', progress: 0 },
      );
      expectRejected({ task_id: 'task_1', status: 'running' }, { status: 'queued', progress: 0 });
    });

    it('malformed payloads (no task_id, not an object)', () => {
      const sizeBefore = h.registry.size;
      expectRejected({ status: 'running', progress: 10 }, { status: 'queued' });
      expectRejected('running', { status: 'queued' });
      expectRejected(null, { status: 'queued' });
      expect(h.registry.size).toBe(sizeBefore);
    });

    it('final → running (leaving a final state)', () => {
      h.registry.observe(running('task_1', 60));
      h.registry.observe(update({ task_id: 'task_1', status: 'succeeded', progress: 100, agent_id: 'agent_001' }));
      expectRejected(
        { task_id: 'task_1', status: 'running', progress: 100, agent_id: 'agent_001' },
        { status: 'succeeded', progress: 100 },
      );
      expectRejected(
        { task_id: 'task_1', status: 'failed', progress: 100, agent_id: 'agent_001', error: 'late' },
        { status: 'succeeded' },
      );
      expectRejected({ task_id: 'task_1', status: 'queued', progress: 0 }, { status: 'succeeded' });
      expect(h.registry.get('task_1')!.error).toBeUndefined();
    });

    it('cancelled → running', () => {
      h.registry.observe(command({ command: 'cancel_task', task_id: 'task_1' }));
      expectRejected(
        { task_id: 'task_1', status: 'running', progress: 0, agent_id: 'agent_001' },
        { status: 'cancelled' },
      );
    });

    it('queued after running', () => {
      h.registry.observe(running('task_1', 20));
      expectRejected(
        { task_id: 'task_1', status: 'queued', progress: 20, agent_id: 'agent_001' },
        { status: 'running', progress: 20 },
      );
    });

    it('progress going backwards while running', () => {
      h.registry.observe(running('task_1', 70));
      expectRejected(
        { task_id: 'task_1', status: 'running', progress: 40, agent_id: 'agent_001' },
        { status: 'running', progress: 70 },
      );
      // Forward still works afterwards.
      h.registry.observe(running('task_1', 80));
      expect(h.registry.get('task_1')).toMatchObject({ status: 'running', progress: 80 });
    });

    // A final task is frozen ("leaving a final state" and "progress going backwards" are invalid):
    // a second update with the same final status must not rewrite what GET /api/tasks shows.
    it('a repeated final status cannot rewind the stored progress', () => {
      h.registry.observe(running('task_1', 90));
      h.registry.observe(update({ task_id: 'task_1', status: 'succeeded', progress: 100, agent_id: 'agent_001' }));
      h.registry.observe(update({ task_id: 'task_1', status: 'succeeded', progress: 10, agent_id: 'agent_001' }));
      expect(h.registry.get('task_1')).toMatchObject({ status: 'succeeded', progress: 100 });
    });

    it('a repeated final status cannot reassign the task to another agent', () => {
      h.registry.observe(running('task_1', 90));
      h.registry.observe(update({ task_id: 'task_1', status: 'succeeded', progress: 100, agent_id: 'agent_001' }));
      h.registry.observe(update({ task_id: 'task_1', status: 'succeeded', progress: 100, agent_id: 'agent_009' }));
      expect(h.registry.get('task_1')).toMatchObject({ status: 'succeeded', progress: 100, agent_id: 'agent_001' });
    });
  });
});

describe('TaskRegistry: cancel_task', () => {
  let h: Harness;
  beforeEach(() => {
    h = harness();
  });

  it('cancels a queued task at once and publishes the cancelled update', () => {
    h.registry.observe(execute('task_q', { agent_id: 'agent_999' }));
    h.clock.now = T0 + 2500;
    h.registry.observe(command({ command: 'cancel_task', task_id: 'task_q' }));
    expect(h.registry.get('task_q')).toMatchObject({
      status: 'cancelled',
      agent_id: 'agent_999',
      created_at: '2025-03-01T12:00:00.000Z',
      updated_at: '2025-03-01T12:00:02.500Z',
    });
    expect(h.published.map((t) => [t.task_id, t.status])).toEqual([
      ['task_q', 'queued'],
      ['task_q', 'cancelled'],
    ]);
  });

  it('leaves a running task to its agent (no change, nothing published)', () => {
    h.registry.observe(execute('task_r'));
    h.registry.observe(running('task_r', 30));
    h.registry.observe(command({ command: 'cancel_task', task_id: 'task_r' }));
    expect(h.registry.get('task_r')).toMatchObject({ status: 'running', progress: 30 });
    expect(h.published).toHaveLength(1);
    // The agent's cancelled update then lands.
    h.registry.observe(update({ task_id: 'task_r', status: 'cancelled', progress: 30, agent_id: 'agent_001' }));
    expect(h.registry.get('task_r')).toMatchObject({ status: 'cancelled', progress: 30 });
  });

  it('ignores unknown and final tasks', () => {
    h.registry.observe(command({ command: 'cancel_task', task_id: 'nope' }));
    expect(h.registry.get('nope')).toBeUndefined();
    h.registry.observe(execute('task_done'));
    h.registry.observe(update({ task_id: 'task_done', status: 'succeeded', progress: 100, agent_id: 'agent_001' }));
    h.registry.observe(command({ command: 'cancel_task', task_id: 'task_done' }));
    expect(h.registry.get('task_done')).toMatchObject({ status: 'succeeded' });
    expect(h.published).toHaveLength(1);
  });
});

describe('TaskRegistry: list() and capacity', () => {
  it('lists newest first, with status, agentId and limit filters', () => {
    const h = harness();
    for (let i = 1; i <= 6; i++) {
      h.clock.now = T0 + i * 1000;
      h.registry.observe(execute(`task_${i}`, i % 2 === 0 ? { agent_id: 'agent_002' } : {}));
    }
    h.registry.observe(running('task_1', 10, 'agent_001'));
    h.registry.observe(running('task_2', 10, 'agent_002'));
    h.registry.observe(update({ task_id: 'task_4', status: 'succeeded', progress: 100, agent_id: 'agent_002' }));
    h.registry.observe(
      update({ task_id: 'task_5', status: 'failed', progress: 50, agent_id: 'agent_003', error: 'boom' }),
    );

    const ids = (tasks: Task[]) => tasks.map((t) => t.task_id);
    expect(ids(h.registry.list())).toEqual(['task_6', 'task_5', 'task_4', 'task_3', 'task_2', 'task_1']);
    expect(ids(h.registry.list({ status: 'queued' }))).toEqual(['task_6', 'task_3']);
    expect(ids(h.registry.list({ status: 'running' }))).toEqual(['task_2', 'task_1']);
    expect(ids(h.registry.list({ status: 'failed' }))).toEqual(['task_5']);
    expect(ids(h.registry.list({ agentId: 'agent_002' }))).toEqual(['task_6', 'task_4', 'task_2']);
    expect(ids(h.registry.list({ limit: 2 }))).toEqual(['task_6', 'task_5']);
    expect(ids(h.registry.list({ agentId: 'agent_002', limit: 1 }))).toEqual(['task_6']);
    expect(ids(h.registry.list({ agentId: 'agent_002', status: 'running' }))).toEqual(['task_2']);
    expect(h.registry.list({ status: 'cancelled' })).toEqual([]);
    expect(h.registry.list({ agentId: 'agent_404' })).toEqual([]);
    // The list is a copy: changing it does not change the registry.
    h.registry.list().length = 0;
    expect(h.registry.size).toBe(6);
  });

  it('keeps only the newest N tasks (small capacity)', () => {
    const h = harness(3);
    for (let i = 1; i <= 5; i++) h.registry.observe(execute(`task_${i}`));
    expect(h.registry.size).toBe(3);
    expect(h.registry.list().map((t) => t.task_id)).toEqual(['task_5', 'task_4', 'task_3']);
    expect(h.registry.get('task_1')).toBeUndefined();
    expect(h.registry.get('task_2')).toBeUndefined();
    // Updating an existing task evicts nothing.
    h.registry.observe(running('task_3', 50));
    expect(h.registry.size).toBe(3);
    expect(h.registry.get('task_3')).toMatchObject({ status: 'running', progress: 50 });
    // An update for an unknown task creates nothing (tasks come only from execute_task).
    h.registry.observe(running('task_6', 5));
    expect(h.registry.list().map((t) => t.task_id)).toEqual(['task_5', 'task_4', 'task_3']);
    // A new task evicts the oldest.
    h.registry.observe(execute('task_7'));
    expect(h.registry.list().map((t) => t.task_id)).toEqual(['task_7', 'task_5', 'task_4']);
    // Cursors stay valid while older tasks leave.
    const [, fifth] = [...h.registry.iterate()];
    expect([...h.registry.iterate({ before: fifth!.position })].map((t) => t.task.task_id)).toEqual(['task_4']);
  });

  it('keeps the newest 10,000 tasks by default', () => {
    expect(DEFAULT_TASK_CAPACITY).toBe(10_000);
    const h = harness();
    for (let i = 0; i <= 10_000; i++) h.registry.observe(execute(`bulk_${i}`));
    expect(h.registry.size).toBe(10_000);
    expect(h.registry.get('bulk_0')).toBeUndefined();
    expect(h.registry.get('bulk_1')).toBeDefined();
    expect(h.registry.list({ limit: 1 })[0]!.task_id).toBe('bulk_10000');
  });
});

describe('TaskRegistry: claims and timeouts', () => {
  const TIMEOUT_MS = 30_000;
  function timed(present: Set<string>, decide?: (taskId: string) => Promise<boolean>) {
    const published: Task[] = [];
    const clock = { now: T0 };
    const registry = new TaskRegistry({
      logger: pino({ level: 'silent' }),
      now: () => clock.now,
      publishUpdate: (task) => published.push(expandTask(task)),
      claimTimeoutMs: TIMEOUT_MS,
      agentPresent: (agentId) => present.has(agentId),
      ...(decide ? { decide } : {}),
    });
    return { registry, published, clock };
  }
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  const claim = (taskId: string, agentId: string) => message('tasks.claims', { task_id: taskId, agent_id: agentId });

  it('an addressed task may be updated only by its agent; an unaddressed one by the first claimer', () => {
    const { registry } = timed(new Set());
    registry.observe(execute('addressed', { agent_id: 'agent_001' }));
    registry.observe(execute('open'));
    expect(registry.mayUpdate('agent_001', 'addressed')).toBe(true);
    expect(registry.mayUpdate('agent_002', 'addressed')).toBe(false);
    expect(registry.mayUpdate('agent_002', 'open')).toBe(false);
    registry.observe(claim('open', 'agent_002'));
    registry.observe(claim('open', 'agent_003'));
    expect(registry.mayUpdate('agent_002', 'open')).toBe(true);
    expect(registry.mayUpdate('agent_003', 'open')).toBe(false);
    expect(registry.mayUpdate('agent_001', 'no-such-task')).toBe(false);
  });

  it('a queued task nobody starts fails with "no agent took the task" after the timeout, not before', async () => {
    const { registry, published, clock } = timed(new Set());
    registry.observe(execute('lonely'));
    published.length = 0;
    clock.now = T0 + TIMEOUT_MS - 1;
    registry.sweep();
    await settle();
    expect(registry.get('lonely')?.status).toBe('queued');
    clock.now = T0 + TIMEOUT_MS;
    registry.sweep();
    await settle();
    expect(registry.get('lonely')).toMatchObject({ status: 'failed', error: 'no agent took the task' });
    expect(published).toHaveLength(1);
    registry.sweep();
    await settle();
    expect(published).toHaveLength(1);
  });

  it('a running task whose agent is gone that long fails with "agent lost"; a present agent keeps it running', async () => {
    const present = new Set(['agent_001', 'agent_002']);
    const { registry, clock } = timed(present);
    registry.observe(execute('a', { agent_id: 'agent_001' }));
    registry.observe(execute('b', { agent_id: 'agent_002' }));
    registry.observe(running('a', 10, 'agent_001'));
    registry.observe(running('b', 10, 'agent_002'));
    clock.now = T0 + 10_000;
    registry.sweep(); // both agents last seen present now
    present.delete('agent_001');
    clock.now = T0 + 10_000 + TIMEOUT_MS - 1;
    registry.sweep();
    await settle();
    expect(registry.get('a')?.status).toBe('running');
    clock.now = T0 + 10_000 + TIMEOUT_MS;
    registry.sweep();
    await settle();
    expect(registry.get('a')).toMatchObject({ status: 'failed', error: 'agent lost' });
    expect(registry.get('b')?.status).toBe('running');
  });

  it('declares nothing when another process won the decision', async () => {
    const { registry, published, clock } = timed(new Set(), () => Promise.resolve(false));
    registry.observe(execute('elsewhere'));
    published.length = 0;
    clock.now = T0 + TIMEOUT_MS;
    registry.sweep();
    await settle();
    expect(published).toEqual([]);
    expect(registry.get('elsewhere')?.status).toBe('queued');
  });

  it('10,000 tasks timing out together are declared a slice at a time, each once', async () => {
    const { registry, published, clock } = timed(new Set());
    for (let i = 0; i < 10_000; i++) registry.observe(execute(`mass-${i}`));
    published.length = 0;
    clock.now = T0 + TIMEOUT_MS;
    registry.sweep();
    await settle();
    const failed = () => [...registry.iterate({ limit: 10_000 })].filter(({ task }) => task.status === 'failed').length;
    // One slice per event-loop turn: the first turn declared at most a slice.
    expect(failed()).toBeLessThanOrEqual(32);
    registry.sweep(); // a sweep meanwhile queues nothing twice
    for (let turn = 0; turn < 1000 && failed() < 10_000; turn++) await settle();
    expect(failed()).toBe(10_000);
    expect(published).toHaveLength(10_000);
  });
});
