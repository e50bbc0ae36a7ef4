import { describe, expect, it } from 'vitest';
import { BucketCloser, type ClosedStep } from './bucket-closer.js';
import { RollupMemory } from './rollup-memory.js';

const T0 = Date.UTC(2026, 0, 1);

describe('BucketCloser', () => {
  it('does a close a slice at a time: each call stops at its deadline, the fleet goes out before the rings', () => {
    const memory = new RollupMemory(64 * 1024 * 1024);
    for (let i = 0; i < 2000; i++) memory.observe(`agent_${i}`, { cpu: i, mem: 2 * i, disk: 3 * i }, T0 + 500);
    const closed: ClosedStep[] = [];
    const closer = new BucketCloser(memory, (step) => closed.push(step));
    closer.begin(0, T0, false);
    expect(closer.pending).toBe(true);
    expect(closed).toHaveLength(0);
    // A deadline already past: one metric's fleet bucket, or one slice of ring writes, per call.
    let calls = 0;
    while (closer.work(performance.now())) calls++;
    expect(calls).toBeGreaterThanOrEqual(3 + 6000 / 512 - 1); // 3 metrics, 6,000 ring writes
    expect(closed).toHaveLength(1);
    expect(closed[0]!.summary!.metrics.cpu).toMatchObject({ min: 0, max: 1999, agents: 2000 });
    expect(memory.rings.narrow.inUse).toBe(6000); // every series' 1 s block written
  });

  it('adds the 1 s bucket to the coarser open buckets when it takes it', () => {
    const memory = new RollupMemory(64 * 1024 * 1024);
    const closer = new BucketCloser(memory, () => {});
    for (let s = 0; s < 3; s++) {
      memory.observe('a', { cpu: 10 * s }, T0 + s * 1000 + 1);
      memory.observe('a', { cpu: 10 * s + 1 }, T0 + s * 1000 + 2);
      closer.begin(0, T0 + s * 1000, false);
    }
    closer.finish();
    const row = memory.agents.get('a')!.series.get(memory.metrics.get('cpu')!.index)!;
    const at = memory.table.accAt(row, 1);
    // sum, count, min, max, last of 0, 1, 10, 11, 20, 21; the 1 s bucket itself emptied.
    expect(Array.from(memory.table.acc.subarray(at, at + 5))).toEqual([63, 6, 0, 21, 21]);
    expect(memory.table.acc[memory.table.accAt(row, 0) + 1]).toBe(0);
    expect(memory.dirty[1]!.count).toBe(1);
  });
});
