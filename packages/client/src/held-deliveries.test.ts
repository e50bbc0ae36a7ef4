import { describe, expect, it } from 'vitest';
import type { DeliveryFrame } from './protocol/index.js';
import { HeldDeliveries } from './held-deliveries.js';

function frame(channel: string, seq: number, epoch = 'E1'): DeliveryFrame {
  return { type: 'message', channel, from: 'u', data: { channel, seq }, timestamp: '', seq, epoch };
}

const label = (f: DeliveryFrame) => `${f.channel}:${f.epoch}:${f.seq}`;

describe('HeldDeliveries', () => {
  it('drains channel by channel in first-appearance order, each in seq order, repeats once', () => {
    const held = new HeldDeliveries();
    const input: [string, number][] = [
      ['a', 3],
      ['b', 1],
      ['a', 2],
      ['c', 5],
      ['b', 2],
      ['a', 1],
      ['a', 3],
      ['c', 4],
      ['b', 1],
    ];
    for (const [channel, seq] of input) held.add(frame(channel, seq));
    expect(held.size).toBe(7);
    expect(held.drain().map(label)).toEqual(['a:E1:1', 'a:E1:2', 'a:E1:3', 'b:E1:1', 'b:E1:2', 'c:E1:4', 'c:E1:5']);
    expect(held.size).toBe(0);
    expect(held.drain()).toEqual([]);
  });

  it('keeps the first frame of an exact repeat', () => {
    const held = new HeldDeliveries();
    const original = frame('a', 1);
    held.add(original);
    held.add(frame('a', 1));
    expect(held.drain()).toEqual([original]);
    expect(held.drain()[0]).toBeUndefined();
  });

  it('orders epochs of a channel by first appearance, seqs within each; equal seqs of two epochs both stay', () => {
    const held = new HeldDeliveries();
    for (const [epoch, seq] of [
      ['E1', 9],
      ['E2', 2],
      ['E1', 8],
      ['E2', 1],
      ['E1', 9],
      ['E2', 9],
    ] as const) {
      held.add(frame('t', seq, epoch));
    }
    expect(held.drain().map(label)).toEqual(['t:E1:8', 't:E1:9', 't:E2:1', 't:E2:2', 't:E2:9']);
  });

  it('random interleavings of many channels with repeats: every channel complete and in order', () => {
    let seed = 11;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 50; round++) {
      const channels = Array.from({ length: 1 + Math.floor(random() * 6) }, (_, i) => `ch${i}`);
      const expected = new Map(channels.map((c) => [c, [] as number[]]));
      const pool: DeliveryFrame[] = [];
      for (const channel of channels) {
        const start = Math.floor(random() * 100);
        for (let seq = start + 1; seq <= start + 1 + Math.floor(random() * 40); seq++) {
          expected.get(channel)!.push(seq);
          pool.push(frame(channel, seq));
          if (random() < 0.2) pool.push(frame(channel, seq));
        }
      }
      // Fisher–Yates with the seeded generator.
      for (let i = pool.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [pool[i], pool[j]] = [pool[j]!, pool[i]!];
      }
      const held = new HeldDeliveries();
      for (const f of pool) held.add(f);
      const out = held.drain();
      for (const channel of channels) {
        expect(
          out.filter((f) => f.channel === channel).map((f) => f.seq),
          `round ${round} ${channel}`,
        ).toEqual(expected.get(channel));
      }
      expect(out).toHaveLength([...expected.values()].reduce((n, seqs) => n + seqs.length, 0));
    }
  });
});
