import { describe, expect, it } from 'vitest';
import { OfflineQueue } from './offline-queue.js';

describe('OfflineQueue', () => {
  it('keeps items in order and drains them oldest first, leaving the queue empty', () => {
    const queue = new OfflineQueue<number>(5);
    expect(queue.push(1)).toEqual([]);
    expect(queue.push(2)).toEqual([]);
    expect(queue.push(3)).toEqual([]);
    expect(queue.size).toBe(3);
    expect(queue.drain()).toEqual([1, 2, 3]);
    expect(queue.size).toBe(0);
    expect(queue.drain()).toEqual([]);
  });

  it('is bounded: when full the oldest item is dropped and returned', () => {
    const queue = new OfflineQueue<number>(3);
    const dropped: number[] = [];
    for (let i = 1; i <= 10; i++) {
      dropped.push(...queue.push(i));
      expect(queue.size).toBeLessThanOrEqual(3);
    }
    expect(dropped).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(queue.size).toBe(3);
    expect(queue.drain()).toEqual([8, 9, 10]);
  });

  it('drops exactly one item per push past the capacity', () => {
    const queue = new OfflineQueue<string>(2);
    queue.push('a');
    queue.push('b');
    expect(queue.push('c')).toEqual(['a']);
    expect(queue.push('d')).toEqual(['b']);
    expect(queue.capacity).toBe(2);
  });

  it('with capacity 0 keeps nothing: the pushed item itself is dropped', () => {
    const queue = new OfflineQueue<number>(0);
    expect(queue.push(1)).toEqual([1]);
    expect(queue.size).toBe(0);
  });

  it('holds 1000 items at the client default and stays bounded under 100 000 pushes', () => {
    const queue = new OfflineQueue<number>(1000);
    let droppedCount = 0;
    for (let i = 0; i < 100_000; i++) droppedCount += queue.push(i).length;
    expect(queue.size).toBe(1000);
    expect(droppedCount).toBe(99_000);
    const drained = queue.drain();
    expect(drained[0]).toBe(99_000);
    expect(drained.at(-1)).toBe(99_999);
  });

  it('refuses a negative or fractional capacity', () => {
    expect(() => new OfflineQueue(-1)).toThrow(RangeError);
    expect(() => new OfflineQueue(1.5)).toThrow(RangeError);
    expect(() => new OfflineQueue(Number.NaN)).toThrow(RangeError);
  });

  it('removes matching items and keeps the order of the rest', () => {
    const queue = new OfflineQueue<number>(10);
    for (const n of [1, 2, 3, 4, 5]) queue.push(n);
    queue.remove((n) => n % 2 === 0);
    expect(queue.size).toBe(3);
    expect(queue.drain()).toEqual([1, 3, 5]);
  });
});
