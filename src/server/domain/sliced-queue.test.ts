import { describe, expect, it } from 'vitest';
import { SlicedQueue } from './sliced-queue.js';

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('SlicedQueue', () => {
  it('runs at most perSlice items together, the next slice after an event-loop turn', async () => {
    let running = 0;
    let most = 0;
    const done: number[] = [];
    const queue = new SlicedQueue<number>(async (n) => {
      running++;
      most = Math.max(most, running);
      await Promise.resolve();
      running--;
      done.push(n);
    }, 10);
    for (let n = 0; n < 35; n++) queue.add(n);
    expect(done).toHaveLength(0);
    for (let i = 0; i < 10; i++) await Promise.resolve();
    // The first slice finished within the turn it started in; the rest wait for later turns.
    expect(done).toHaveLength(10);
    for (let i = 0; i < 5; i++) await turn();
    expect(done).toEqual(Array.from({ length: 35 }, (_, n) => n));
    expect(most).toBe(10);
    expect(queue.size).toBe(0);
  });

  it('ignores an item already waiting or running, takes it again once handled, and goes on past a failing item', async () => {
    const seen: string[] = [];
    const queue = new SlicedQueue<string>((item) => {
      seen.push(item);
      return item === 'bad' ? Promise.reject(new Error('no')) : Promise.resolve();
    }, 2);
    queue.add('a');
    queue.add('a');
    queue.add('bad');
    queue.add('b');
    for (let i = 0; i < 3; i++) await turn();
    expect(seen).toEqual(['a', 'bad', 'b']);
    queue.add('a');
    await turn();
    expect(seen).toEqual(['a', 'bad', 'b', 'a']);
  });
});
