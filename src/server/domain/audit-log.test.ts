/**
 * AuditLog: plain entries written in batches off the hot path, refusals folded per user and
 * action into one entry a minute with a count (one map update each), a fresh entry the next
 * minute, the store bounded by its maximum, what waits in memory bounded too, and writes kept
 * for the next flush while the store fails.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { MemoryAuditStore, type AuditQuery, type AuditStore, type AuditWrite } from '../state/index.js';
import { AuditLog, MAX_FOLDING_USERS, MAX_WAITING_ENTRIES, publishAudit } from './audit-log.js';

const T0 = Date.parse('2026-01-01T10:00:05.000Z');
const silent = pino({ level: 'silent' });
const op = { userId: 'op1', role: 'operator' };
const all: AuditQuery = { limit: 1000 };

function harness(maxEntries = 1000, store: AuditStore = new MemoryAuditStore()) {
  const clock = { now: T0 };
  const log = new AuditLog({ store, maxEntries, now: () => clock.now, logger: silent, flushIntervalMs: 60_000 });
  return { log, clock, store };
}

describe('AuditLog', () => {
  it('records entries with their fields and answers newest first', async () => {
    const { log, clock } = harness();
    log.record(op, 'execute_task', { channel: 'commands', target: 'task_1' });
    clock.now += 10;
    log.record(op, 'cancel_task', { channel: 'commands', target: 'task_1' });
    expect(await log.query(all)).toEqual([
      {
        at: new Date(T0 + 10).toISOString(),
        userId: 'op1',
        role: 'operator',
        action: 'cancel_task',
        channel: 'commands',
        target: 'task_1',
        result: 'ok',
      },
      {
        at: new Date(T0).toISOString(),
        userId: 'op1',
        role: 'operator',
        action: 'execute_task',
        channel: 'commands',
        target: 'task_1',
        result: 'ok',
      },
    ]);
    await log.close();
  });

  it('writes nothing until it flushes: recording only touches memory', async () => {
    const writes: AuditWrite[][] = [];
    const store: AuditStore = {
      append: (batch) => (writes.push([...batch]), Promise.resolve()),
      query: () => Promise.resolve([]),
    };
    const { log } = harness(1000, store);
    for (let i = 0; i < 1200; i++) log.record(op, 'publish', { channel: 'events' });
    expect(writes).toEqual([]);
    expect(log.waiting).toBe(1200);
    await log.flush();
    // In batches, everything once.
    expect(writes.map((batch) => batch.length)).toEqual([500, 500, 200]);
    expect(log.waiting).toBe(0);
    await log.close();
  });

  it('folds a flood of refusals of one user and action into one entry a minute with a count', async () => {
    const viewer = { userId: 'v1', role: 'viewer' };
    const { log, clock } = harness();
    for (let i = 0; i < 10_000; i++) log.refused(viewer, 'publish', 'forbidden', { channel: 'events', detail: 'no' });
    // Everything folded waits as one item, however many refusals.
    expect(log.waiting).toBe(1);
    await log.flush();
    for (let i = 0; i < 5_000; i++) log.refused(viewer, 'publish', 'forbidden', { channel: 'events' });
    log.refused(viewer, 'subscribe', 'forbidden', { channel: 'secret' });
    log.record(op, 'execute_task', { target: 't1' });
    let entries = await log.query(all);
    expect(entries.map((e) => [e.action, e.result, e.count])).toEqual([
      ['execute_task', 'ok', undefined],
      ['subscribe', 'forbidden', 1],
      ['publish', 'forbidden', 15_000],
    ]);
    expect(entries[2]).toMatchObject({
      userId: 'v1',
      role: 'viewer',
      channel: 'events',
      detail: 'no',
      at: new Date(T0).toISOString(),
    });
    // The next minute starts a new entry.
    clock.now += 60_000;
    log.refused(viewer, 'publish', 'forbidden', { channel: 'events' });
    entries = await log.query({ ...all, action: 'publish' });
    expect(entries.map((e) => e.count)).toEqual([1, 15_000]);
    await log.close();
  });

  it('keeps at most maxEntries, the oldest leaving first', async () => {
    const { log, clock, store } = harness(100);
    for (let i = 0; i < 350; i++) {
      clock.now += 1;
      log.record({ userId: `u${i}`, role: 'operator' }, 'publish');
    }
    const entries = await log.query(all);
    expect(entries).toHaveLength(100);
    expect(entries[0]!.userId).toBe('u349');
    expect(entries.at(-1)!.userId).toBe('u250');
    expect((store as MemoryAuditStore).size).toBe(100);
    await log.close();
  });

  it('filters by time (inclusive), user and action, and stops at the limit', async () => {
    const { log, clock } = harness();
    for (let i = 0; i < 10; i++) {
      log.record({ userId: i % 2 ? 'odd' : 'even', role: 'admin' }, i % 3 ? 'publish' : 'admin_close');
      clock.now += 1000;
    }
    const ids = async (query: Partial<AuditQuery>) =>
      (await log.query({ ...all, ...query })).map((e) => Date.parse(e.at) - T0);
    expect(await ids({ sinceMs: T0 + 3000, untilMs: T0 + 5000 })).toEqual([5000, 4000, 3000]);
    expect(await ids({ userId: 'odd', limit: 2 })).toEqual([9000, 7000]);
    expect(await ids({ action: 'admin_close' })).toEqual([9000, 6000, 3000, 0]);
    await log.close();
  });

  it('bounds what waits in memory: entries while the store is away, users folding at once', async () => {
    let failing = true;
    const memory = new MemoryAuditStore();
    const store: AuditStore = {
      append: (batch, max) => (failing ? Promise.reject(new Error('down')) : memory.append(batch, max)),
      query: (q) => memory.query(q),
    };
    const { log } = harness(1_000_000, store);
    for (let i = 0; i < MAX_WAITING_ENTRIES + 500; i++) log.record(op, 'publish');
    expect(log.waiting).toBe(MAX_WAITING_ENTRIES);
    await log.flush();
    // Kept for the next flush while the store fails.
    expect(log.waiting).toBe(MAX_WAITING_ENTRIES);
    failing = false;
    await log.flush();
    expect(memory.size).toBe(MAX_WAITING_ENTRIES);

    for (let i = 0; i < MAX_FOLDING_USERS + 100; i++)
      log.refused({ userId: `u${i}`, role: 'viewer' }, 'publish', 'forbidden');
    expect(log.waiting).toBe(MAX_FOLDING_USERS);
    await log.close();
  });
});

describe('AuditLog.query with a store that does not answer writes', () => {
  it('answers from the store after a moment instead of waiting for the write', async () => {
    const store: AuditStore = {
      append: () => new Promise<void>(() => {}),
      query: () => Promise.resolve([]),
    };
    const { log } = harness(1000, store);
    log.record(op, 'publish');
    const started = Date.now();
    expect(await log.query(all)).toEqual([]);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('publishAudit', () => {
  it('names a command by itself with its task as the target; anything else is a publish', () => {
    expect(publishAudit('commands', { command: 'execute_task', task_id: 't1' })).toEqual({
      action: 'execute_task',
      details: { channel: 'commands', target: 't1' },
    });
    expect(publishAudit('commands', { command: 'cancel_task', task_id: 't1' }).action).toBe('cancel_task');
    expect(publishAudit('commands', { command: 'reboot' }).action).toBe('publish');
    expect(publishAudit('events', { command: 'execute_task' })).toEqual({
      action: 'publish',
      details: { channel: 'events' },
    });
  });
});
