import { describe, expect, it } from 'vitest';
import type { BrokerMessage } from '../broker/index.js';
import { SliceScheduler, sendReplay, type ReplayTarget } from './replay-sender.js';

const msg = (seq: number): BrokerMessage => ({
  channel: 'c',
  kind: 'message',
  from: 'u',
  data: { seq },
  timestamp: '',
  seq,
  epoch: 'E',
});

/** Pages of `pageSize` over seqs 1..count, counting how many pages were pulled. */
function history(count: number, pageSize: number, failAfterPages?: number) {
  const stats = { pulled: 0, ended: false };
  const pages: AsyncIterable<readonly BrokerMessage[]> = {
    // eslint-disable-next-line @typescript-eslint/require-await -- an AsyncIterable over pages made on the spot: nothing to await
    async *[Symbol.asyncIterator]() {
      try {
        for (let first = 1; first <= count; first += pageSize) {
          if (failAfterPages !== undefined && stats.pulled >= failAfterPages) throw new Error('trimmed');
          stats.pulled++;
          yield Array.from({ length: Math.min(pageSize, count - first + 1) }, (_, i) => msg(first + i));
        }
      } finally {
        stats.ended = true;
      }
    },
  };
  return { pages, stats };
}

/** A target recording what it got and in which event-loop turn (counted by setImmediate). */
function recordingTarget(closeAfter = Number.POSITIVE_INFINITY) {
  const sent: { seq: number; turn: number }[] = [];
  let turn = 0;
  let open = true;
  let roomWaits = 0;
  const ticker = setInterval(() => {}, 1000);
  const tick = () => {
    turn++;
    if (open) setImmediate(tick);
  };
  setImmediate(tick);
  const target: ReplayTarget = {
    isOpen: () => open,
    send: (frame) => {
      sent.push({ seq: (JSON.parse(frame.toString()) as { seq: number }).seq, turn });
      if (sent.length >= closeAfter) open = false;
    },
    waitForRoom: () => {
      roomWaits++;
      return Promise.resolve();
    },
  };
  const stop = () => {
    open = false;
    clearInterval(ticker);
  };
  return { target, sent, stop, roomWaits: () => roomWaits };
}

describe('sendReplay', () => {
  it('sends every selected message in order, a slice at a time across event-loop turns', async () => {
    const { pages } = history(100, 40);
    const { target, sent, stop, roomWaits } = recordingTarget();
    const outcome = await sendReplay(pages, (m) => m.seq % 2 === 0, target, {
      budget: { messages: 10, bytes: 1 << 20, ms: 1000 },
      scheduler: new SliceScheduler(0),
    });
    stop();
    expect(outcome).toEqual({ status: 'done' });
    expect(sent.map((s) => s.seq)).toEqual(Array.from({ length: 50 }, (_, i) => 2 * (i + 1)));
    // 10 messages looked at per slice (5 sent), one slice per turn: no two slices share a turn.
    const perTurn = new Map<number, number>();
    for (const { turn } of sent) perTurn.set(turn, (perTurn.get(turn) ?? 0) + 1);
    expect(Math.max(...perTurn.values())).toBeLessThanOrEqual(5);
    expect(perTurn.size).toBeGreaterThanOrEqual(10);
    expect(roomWaits()).toBeGreaterThanOrEqual(10);
  });

  it('a byte budget ends a slice too', async () => {
    const { pages } = history(20, 20);
    const { target, sent, stop } = recordingTarget();
    await sendReplay(pages, () => true, target, {
      budget: { messages: 1000, bytes: 1, ms: 1000 },
      scheduler: new SliceScheduler(0),
    });
    stop();
    expect(new Set(sent.map((s) => s.turn)).size).toBe(20);
  });

  it('stops as soon as the connection closes: nothing more encoded, no further page read', async () => {
    const { pages, stats } = history(1000, 10);
    const { target, sent, stop } = recordingTarget(15);
    const outcome = await sendReplay(pages, () => true, target, { scheduler: new SliceScheduler(0) });
    stop();
    expect(outcome).toEqual({ status: 'closed' });
    expect(sent).toHaveLength(15);
    expect(stats.pulled).toBe(2);
    expect(stats.ended).toBe(true);
  });

  it('reports a history that could not be read to the end', async () => {
    const { pages } = history(100, 10, 3);
    const { target, sent, stop } = recordingTarget();
    const outcome = await sendReplay(pages, () => true, target, { scheduler: new SliceScheduler(0) });
    stop();
    expect(outcome).toMatchObject({ status: 'failed', error: expect.objectContaining({ message: 'trimmed' }) });
    expect(sent.map((s) => s.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });
});

describe('SliceScheduler', () => {
  it('runs one slice at a time, in the order they asked, and caps the work of one turn', async () => {
    let now = 0;
    const scheduler = new SliceScheduler(5, () => now);
    const order: string[] = [];
    let turn = 0;
    const run = async (name: string, costMs: number) => {
      const release = await scheduler.acquire();
      order.push(`${name}@${turn}`);
      now += costMs;
      release();
    };
    let ticking = true;
    const tick = () => {
      turn++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    // Three slices of 3 ms: the first two fit in one 5 ms turn, the third waits for the next.
    await Promise.all([run('a', 3), run('b', 3), run('c', 3)]);
    ticking = false;
    expect(order.map((o) => o.split('@')[0])).toEqual(['a', 'b', 'c']);
    const turns = order.map((o) => Number(o.split('@')[1]));
    expect(turns[0]).toBe(turns[1]);
    expect(turns[2]).toBeGreaterThan(turns[1]!);
  });
});
