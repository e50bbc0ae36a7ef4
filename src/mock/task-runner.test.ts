/**
 * TaskRunner: running 0 → rising progress → succeeded at 100, or failed with an error text;
 * cancel() ends it with `cancelled` and nothing after. Fake timers, seeded randomness.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TASK_STATUSES, type TaskUpdate } from '@nexus-realtime/client/protocol';
import { seededRandom } from './random.js';
import { TaskRunner } from './task-runner.js';

const DURATION: readonly [number, number] = [1000, 2000];

function makeRunner(overrides: { seed?: number; failureRate?: number; taskId?: string } = {}) {
  const updates: TaskUpdate[] = [];
  const onDone = vi.fn();
  const runner = new TaskRunner({
    taskId: overrides.taskId ?? 'task_1',
    agentId: 'agent_007',
    random: seededRandom(overrides.seed ?? 42),
    durationMs: DURATION,
    failureRate: overrides.failureRate ?? 0,
    now: () => Date.now(),
    publish: (update) => updates.push(update),
    onDone,
  });
  return { runner, updates, onDone };
}

/** Advances fake time in small steps until `done()` or `maxMs` passed. */
function runUntil(done: () => boolean, maxMs = 60_000): void {
  for (let elapsed = 0; elapsed < maxMs && !done(); elapsed += 50) vi.advanceTimersByTime(50);
}

const isFinal = (u: TaskUpdate) => u.status === 'succeeded' || u.status === 'failed' || u.status === 'cancelled';

describe('TaskRunner', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2025-01-01T00:00:00Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('publishes running 0 at once, then strictly rising progress, and ends succeeded at 100', () => {
    for (const seed of [1, 2, 3, 42, 1234]) {
      const { runner, updates, onDone } = makeRunner({ seed });
      const startedAt = new Date().toISOString();
      runner.start();
      expect(updates).toHaveLength(1);
      expect(updates[0]).toMatchObject({
        task_id: 'task_1',
        status: 'running',
        progress: 0,
        agent_id: 'agent_007',
        command: 'execute_task',
      });
      expect(updates[0]!.updated_at).toBe(startedAt);

      runUntil(() => updates.some(isFinal));
      const last = updates.at(-1)!;
      expect(last).toMatchObject({ status: 'succeeded', progress: 100, task_id: 'task_1', agent_id: 'agent_007' });
      expect(last.error).toBeUndefined();
      const running = updates.slice(0, -1);
      expect(running.every((u) => u.status === 'running')).toBe(true);
      expect(running.length).toBeGreaterThanOrEqual(3); // intermediate progress is reported
      for (let i = 1; i < updates.length; i++)
        expect(updates[i]!.progress, `seed ${seed} update ${i}`).toBeGreaterThan(updates[i - 1]!.progress);
      for (const u of updates) {
        expect(TASK_STATUSES).toContain(u.status);
        expect(u.progress).toBeGreaterThanOrEqual(0);
        expect(u.progress).toBeLessThanOrEqual(100);
      }
      expect(onDone).toHaveBeenCalledTimes(1);
      // Time moved on: updated_at follows the clock.
      expect(Date.parse(last.updated_at!)).toBeGreaterThan(Date.parse(updates[0]!.updated_at!));
      // Nothing after the final update.
      const count = updates.length;
      vi.advanceTimersByTime(30_000);
      expect(updates).toHaveLength(count);
    }
  });

  it('takes about the configured duration (not instantly, not forever)', () => {
    const { runner, updates } = makeRunner({ seed: 9 });
    const startedAt = Date.now();
    runner.start();
    runUntil(() => updates.some(isFinal));
    const tookMs = Date.now() - startedAt;
    // Ten steps of duration/10 with increments of 5–15 %: between 7 and 20 steps.
    expect(tookMs).toBeGreaterThanOrEqual(DURATION[0] * 0.6);
    expect(tookMs).toBeLessThanOrEqual(DURATION[1] * 2.1);
  });

  it('is reproducible: the same seed gives the same updates', () => {
    const a = makeRunner({ seed: 77 });
    a.runner.start();
    runUntil(() => a.updates.some(isFinal));
    vi.setSystemTime(new Date('2025-01-01T00:00:00Z'));
    const b = makeRunner({ seed: 77 });
    b.runner.start();
    runUntil(() => b.updates.some(isFinal));
    expect(b.updates.map((u) => [u.status, u.progress])).toEqual(a.updates.map((u) => [u.status, u.progress]));
  });

  it('failureRate 1 → ends failed with a non-empty error text, below 100', () => {
    for (const seed of [1, 5, 42]) {
      const { runner, updates, onDone } = makeRunner({ seed, failureRate: 1 });
      runner.start();
      runUntil(() => updates.some(isFinal));
      const last = updates.at(-1)!;
      expect(last.status).toBe('failed');
      expect(typeof last.error).toBe('string');
      expect(last.error!.trim().length).toBeGreaterThan(0);
      expect(last.progress).toBeLessThan(100);
      expect(updates.filter((u) => u.status === 'failed')).toHaveLength(1);
      expect(updates.some((u) => u.status === 'succeeded')).toBe(false);
      for (let i = 1; i < updates.length; i++)
        expect(updates[i]!.progress).toBeGreaterThanOrEqual(updates[i - 1]!.progress);
      expect(onDone).toHaveBeenCalledTimes(1);
      const count = updates.length;
      vi.advanceTimersByTime(30_000);
      expect(updates).toHaveLength(count);
    }
  });

  it('failureRate 0 never fails (over many seeds)', () => {
    for (let seed = 100; seed < 130; seed++) {
      const { runner, updates } = makeRunner({ seed, failureRate: 0 });
      runner.start();
      runUntil(() => updates.some(isFinal));
      expect(updates.at(-1)!.status, `seed ${seed}`).toBe('succeeded');
    }
  });

  it('a failure rate of 5 % fails a few percent of tasks, with varied error texts', () => {
    let failed = 0;
    const errors = new Set<string>();
    const total = 400;
    for (let seed = 1; seed <= total; seed++) {
      const { runner, updates } = makeRunner({ seed, failureRate: 0.05 });
      runner.start();
      runUntil(() => updates.some(isFinal));
      const last = updates.at(-1)!;
      if (last.status === 'failed') {
        failed++;
        errors.add(last.error!);
      } else {
        expect(last.status).toBe('succeeded');
      }
    }
    expect(failed).toBeGreaterThanOrEqual(4); // ~20 expected
    expect(failed).toBeLessThanOrEqual(48);
    expect(errors.size).toBeGreaterThanOrEqual(2);
  });

  it('cancel() → one cancelled update at the current progress, then nothing more', () => {
    const { runner, updates, onDone } = makeRunner({ seed: 3 });
    runner.start();
    runUntil(() => updates.length >= 3);
    const progressBefore = updates.at(-1)!.progress;
    expect(progressBefore).toBeGreaterThan(0);
    runner.cancel();
    const last = updates.at(-1)!;
    expect(last).toMatchObject({
      task_id: 'task_1',
      status: 'cancelled',
      progress: progressBefore,
      agent_id: 'agent_007',
    });
    expect(onDone).toHaveBeenCalledTimes(1);
    const count = updates.length;
    vi.advanceTimersByTime(60_000);
    expect(updates).toHaveLength(count);
    // A second cancel is a no-op.
    runner.cancel();
    expect(updates).toHaveLength(count);
    expect(onDone).toHaveBeenCalledTimes(1);
  });

  it('cancel() right after start → cancelled at 0', () => {
    const { runner, updates } = makeRunner();
    runner.start();
    runner.cancel();
    expect(updates.map((u) => [u.status, u.progress])).toEqual([
      ['running', 0],
      ['cancelled', 0],
    ]);
    vi.advanceTimersByTime(60_000);
    expect(updates).toHaveLength(2);
  });

  it('cancel() after the task finished publishes nothing', () => {
    const { runner, updates, onDone } = makeRunner({ seed: 11 });
    runner.start();
    runUntil(() => updates.some(isFinal));
    const count = updates.length;
    runner.cancel();
    expect(updates).toHaveLength(count);
    expect(updates.at(-1)!.status).toBe('succeeded');
    expect(onDone).toHaveBeenCalledTimes(1);
  });

  it('stop() (agent shutting down) ends it silently: no update, no timer left', () => {
    const { runner, updates } = makeRunner({ seed: 4 });
    runner.start();
    runUntil(() => updates.length >= 2);
    const count = updates.length;
    runner.stop();
    vi.advanceTimersByTime(60_000);
    expect(updates).toHaveLength(count);
    expect(vi.getTimerCount()).toBe(0);
  });
});
