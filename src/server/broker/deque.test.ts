import { describe, expect, it } from 'vitest';
import { Deque } from './deque.js';

describe('Deque', () => {
  it('keeps order across growth, wrap-around and shrinking', () => {
    const deque = new Deque<number>();
    const model: number[] = [];
    let next = 0;
    // Push and shift in bursts of different sizes so the ring grows, wraps and shrinks.
    for (const [pushes, shifts] of [
      [3, 2],
      [10, 4],
      [50, 45],
      [5, 14],
      [200, 190],
      [0, 13],
    ] as const) {
      for (let i = 0; i < pushes; i++) {
        deque.push(next);
        model.push(next++);
      }
      for (let i = 0; i < shifts; i++) expect(deque.shift()).toBe(model.shift());
      expect(deque.length).toBe(model.length);
      expect(Array.from({ length: deque.length }, (_, i) => deque.at(i))).toEqual(model);
    }
    expect(deque.shift()).toBeUndefined();
    expect(deque.at(-1)).toBeUndefined();
    expect(deque.at(0)).toBeUndefined();
  });

  it('finds the first item of a monotonic predicate', () => {
    const deque = new Deque<number>();
    for (const n of [1, 3, 5, 7, 9]) deque.push(n);
    expect(deque.firstIndexWhere((n) => n > 4)).toBe(2);
    expect(deque.firstIndexWhere((n) => n > 0)).toBe(0);
    expect(deque.firstIndexWhere((n) => n > 9)).toBe(5);
    expect(new Deque<number>().firstIndexWhere(() => true)).toBe(0);
  });
});
