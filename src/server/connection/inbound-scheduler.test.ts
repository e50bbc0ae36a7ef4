import { describe, expect, it } from 'vitest';
import { InboundScheduler, type InboundQueue } from './inbound-scheduler.js';

/** A clock the frames advance: each frame costs what the test says. */
function harness(turnBudgetMs = 4) {
  let nowMs = 0;
  const turns: (() => void)[] = [];
  const handled: string[] = [];
  const scheduler = new InboundScheduler({ turnBudgetMs, now: () => nowMs, defer: (turn) => turns.push(turn) });
  const queue = (owner: string, name: string, costs: number[]): InboundQueue & { costs: number[] } => ({
    owner,
    costs,
    hasWork: () => costs.length > 0,
    handleOne() {
      nowMs += costs.shift()!;
      handled.push(name);
    },
  });
  /** Runs one deferred turn; returns what it handled. */
  const turn = () => {
    const next = turns.shift();
    if (!next) throw new Error('no turn scheduled');
    const from = handled.length;
    next();
    return handled.slice(from);
  };
  return { scheduler, queue, turn, turns, handled, add: (ms: number) => (nowMs += ms) };
}

describe('InboundScheduler', () => {
  it('handles nothing on the spot: frames wait for a turn, one turn scheduled however many wake', () => {
    const h = harness();
    const a = h.queue('alice', 'a', [1, 1]);
    const b = h.queue('bob', 'b', [1]);
    h.scheduler.wake(a);
    h.scheduler.wake(b);
    h.scheduler.wake(a);
    expect(h.handled).toEqual([]);
    expect(h.turns).toHaveLength(1);
    expect(h.turn().sort()).toEqual(['a', 'a', 'b']);
    expect(h.turns).toHaveLength(0);
    expect(h.scheduler.activeOwners).toBe(0);
  });

  it('ends a turn once its budget is spent and goes on in the next one', () => {
    const h = harness(4);
    h.scheduler.wake(h.queue('alice', 'a', [3, 3, 3, 3]));
    expect(h.turn()).toEqual(['a', 'a']); // 3 ms, then 6 ms ≥ 4: the turn ends
    expect(h.turns).toHaveLength(1);
    expect(h.turn()).toEqual(['a', 'a']);
    expect(h.turns).toHaveLength(0);
  });

  it('serves a quiet owner ahead of a busy one: a bystander waits at most one frame', () => {
    const h = harness(4);
    // One user floods with 100 expensive frames over 20 connections.
    for (let c = 0; c < 20; c++) h.scheduler.wake(h.queue('flood', `f${c}`, [5, 5, 5, 5, 5]));
    h.turn();
    h.turn();
    // The bystander's frame is read between two turns…
    h.scheduler.wake(h.queue('bystander', 'by', [0.1]));
    // …and handled first in the next one.
    expect(h.turn()[0]).toBe('by');
  });

  it('shares between busy owners by time used, not by frames or connections', () => {
    const h = harness(1000);
    const many = Array.from({ length: 10 }, (_, c) => h.queue('many', `m${c}`, Array(10).fill(1)));
    const heavy = h.queue('heavy', 'h', Array(10).fill(5));
    for (const q of many) h.scheduler.wake(q);
    h.scheduler.wake(heavy);
    h.turn();
    // Until "heavy" ran out, each owner had about the same time: 5 ms frames against 1 ms ones.
    const order = h.handled.slice(0, 60);
    const heavyCount = order.filter((n) => n === 'h').length;
    const manyCount = order.length - heavyCount;
    expect(heavyCount * 5).toBeGreaterThan(manyCount * 0.8);
    expect(heavyCount * 5).toBeLessThan(manyCount * 1.25);
    // One owner's connections take turns.
    expect(
      h.handled
        .filter((n) => n.startsWith('m'))
        .slice(0, 10)
        .sort(),
    ).toEqual(many.map((_, c) => `m${c}`).sort());
  });

  it('forgets a closed connection, even in the middle of its own frame', () => {
    const h = harness();
    const gone = h.queue('alice', 'gone', [1, 1, 1]);
    const other = h.queue('alice', 'other', [1]);
    gone.handleOne = () => {
      gone.costs.shift();
      h.handled.push('gone');
      h.scheduler.forget(gone);
    };
    h.scheduler.wake(gone);
    h.scheduler.wake(other);
    expect(h.turn()).toEqual(['gone', 'other']);
    expect(h.scheduler.activeOwners).toBe(0);
    h.scheduler.forget(gone); // twice is harmless
  });

  it('a frame that throws is reported and the others go on', () => {
    const errors: unknown[] = [];
    const turns: (() => void)[] = [];
    const scheduler = new InboundScheduler({ defer: (t) => turns.push(t), onError: (e) => errors.push(e) });
    const handled: string[] = [];
    let left = 2;
    scheduler.wake({
      owner: 'a',
      hasWork: () => left > 0,
      handleOne: () => {
        left--;
        throw new Error('boom');
      },
    });
    scheduler.wake({ owner: 'b', hasWork: () => handled.length === 0, handleOne: () => handled.push('b') });
    turns.shift()!();
    expect(errors).toHaveLength(2);
    expect(handled).toEqual(['b']);
  });
});
