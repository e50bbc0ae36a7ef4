import { describe, expect, it } from 'vitest';
import { InboundScheduler, type InboundQueue } from './inbound-scheduler.js';

/** A clock the frames advance: each frame costs what the test says. */
function harness(turnBudgetMs = 4, afterTurn?: (handled: string[]) => void) {
  let nowMs = 0;
  const turns: (() => void)[] = [];
  const handled: string[] = [];
  const scheduler = new InboundScheduler({
    turnBudgetMs,
    now: () => nowMs,
    defer: (turn) => turns.push(turn),
    afterTurn: afterTurn && (() => afterTurn(handled)),
  });
  /** A connection's queue; `moreBehind` says ws still holds more of its frames. */
  const queue = (
    owner: string,
    name: string,
    costs: number[],
    moreBehind = false,
  ): InboundQueue & { costs: number[] } => ({
    owner,
    costs,
    hasWork: () => costs.length > 0,
    moreBehind: () => moreBehind,
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

  it('does not take a flooder whose queues empty each turn for a newcomer while more of its frames wait', () => {
    const h = harness(4);
    // ws hands over one frame per connection per event-loop iteration: 200 users' connections
    // each get one frame before every turn (more waiting behind it), and their queues run dry
    // within the turn, so each comes back at the same virtual time as a newcomer.
    const flooders = Array.from({ length: 200 }, (_, u) => `flood-${u}`);
    const iteration = () => flooders.forEach((u) => h.scheduler.wake(h.queue(u, u, [0.01], true)));
    for (let i = 0; i < 6; i++) {
      iteration();
      h.turn();
    }
    iteration();
    h.scheduler.wake(h.queue('bystander', 'by', [0.1]));
    expect(h.turn()[0]).toBe('by');
  });

  it('serves a quiet owner first while 200 busy owners hold a backlog, even after one costly frame', () => {
    const h = harness(16);
    // 200 users with 100 subscribes each, 0.3 ms apiece: fair shares alone would make a
    // newcomer wait for one frame of each (60 ms, four turns).
    for (let u = 0; u < 200; u++) h.scheduler.wake(h.queue(`viewer-${u}`, `v${u}`, Array(100).fill(0.3), true));
    h.turn();
    for (const cost of [0.1, 5, 0.1]) {
      // The bystander publishes every 100 ms (the busy owners' turns go on meanwhile); one of its
      // frames was charged 5 ms (a GC pause).
      for (let t = 0; t < 3; t++) h.turn();
      h.scheduler.wake(h.queue('bystander', 'by', [cost]));
      expect(h.turn()[0]).toBe('by');
    }
  });

  it("sends what the fresh frames wrote before the busy owners' share of the turn", () => {
    const h = harness(16, (handled) => handled.push('|sent|'));
    for (let u = 0; u < 3; u++) h.scheduler.wake(h.queue(`viewer-${u}`, `v${u}`, Array(40).fill(1), true));
    h.turn();
    h.scheduler.wake(h.queue('bystander', 'by', [0.1]));
    expect(h.turn().slice(0, 3)).toEqual(['by', '|sent|', expect.stringMatching(/^v/)]);
    expect(h.handled.at(-1)).toBe('|sent|');
  });

  it('does not count an owner that used much of the loop lately as fresh, nor holds it back for it', () => {
    const h = harness(16);
    h.scheduler.wake(h.queue('heavy', 'h', [100]));
    h.turn();
    for (let u = 0; u < 50; u++) h.scheduler.wake(h.queue(`viewer-${u}`, `v${u}`, Array(20).fill(0.3), true));
    h.turn();
    h.add(60);
    // 100 ms of handling a moment ago: back with one frame, it is not served first…
    h.scheduler.wake(h.queue('heavy', 'h', [0.1]));
    const next = h.turn();
    expect(next[0]).not.toBe('h');
    // …but among the others, after at most one frame of each.
    const handled = [...next, ...h.turn(), ...h.turn()];
    expect(handled.indexOf('h')).toBeGreaterThan(0);
    expect(handled.indexOf('h')).toBeLessThanOrEqual(50);
  });

  it('counts a new owner whose frames come in a burst as busy: only one frame with nothing behind is fresh', () => {
    const h = harness(4);
    for (let u = 0; u < 3; u++) h.scheduler.wake(h.queue(`viewer-${u}`, `v${u}`, Array(40).fill(1), true));
    h.scheduler.wake(h.queue('burst', 'b', Array(5).fill(1), true));
    h.scheduler.wake(h.queue('bystander', 'by', [0.1]));
    expect(h.turn()[0]).toBe('by');
  });

  it('forgets owners whose use has faded, at most once a second at the end of a turn', () => {
    const h = harness(16);
    for (let u = 0; u < 10; u++) h.scheduler.wake(h.queue(`user-${u}`, `u${u}`, [1]));
    h.turn();
    expect(h.scheduler.activeOwners).toBe(0);
    expect(h.scheduler.knownOwners).toBe(10);
    h.add(30_000);
    h.scheduler.wake(h.queue('late', 'l', [1]));
    h.turn();
    expect(h.scheduler.knownOwners).toBe(1);
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
