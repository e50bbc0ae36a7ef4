import { describe, expect, it } from 'vitest';
import { median, selectKth, TopK } from './selection.js';

/** A seeded generator, so a failure replays the same. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('selection', () => {
  it('finds every k-th value and the median as a sort would, duplicates and sorted input included', () => {
    const next = random(7);
    const inputs = [
      Array.from({ length: 1001 }, () => Math.floor(next() * 50)),
      Array.from({ length: 1000 }, () => next() * 1000 - 500),
      Array.from({ length: 500 }, (_, i) => i),
      Array.from({ length: 500 }, (_, i) => 500 - i),
      [3, 3, 3, 3],
      [42],
    ];
    for (const input of inputs) {
      const sorted = [...input].sort((a, b) => a - b);
      for (const k of [0, 1, input.length >> 1, input.length - 1]) {
        expect(selectKth(Float64Array.from(input), 0, input.length, k)).toBe(sorted[k]);
      }
      const n = sorted.length;
      const expected = n % 2 ? sorted[n >> 1]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
      expect(median(Float64Array.from(input), 0, n)).toBe(expected);
    }
    expect(median(new Float64Array(0), 0, 0)).toBeNaN();
  });

  it('selects within a range of the array only', () => {
    const values = Float64Array.from([100, 5, 1, 4, 2, 3, -100]);
    expect(median(values, 1, 6)).toBe(3);
    expect(values[0]).toBe(100);
    expect(values[6]).toBe(-100);
  });

  it('keeps the largest values with their ids, largest first', () => {
    const next = random(11);
    const top = new TopK(8);
    const offered = Array.from({ length: 10_000 }, (_, id) => ({ id, value: Math.floor(next() * 100_000) }));
    for (const { id, value } of offered) top.offer(id, value);
    const expected = [...offered].sort((a, b) => b.value - a.value).slice(0, 8);
    expect(Array.from(top.values.subarray(0, top.count))).toEqual(expected.map((e) => e.value));
    top.reset();
    top.offer(1, 5);
    top.offer(2, 9);
    expect(Array.from(top.ids.subarray(0, top.count))).toEqual([2, 1]);
  });
});
