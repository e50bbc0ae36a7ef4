import { describe, expect, it } from 'vitest';
import { MAX_WINDOW_MS, MIN_POINT_SPACING_MS, SeriesRing, TelemetryBuffers } from './telemetry-buffers';

describe('SeriesRing', () => {
  it('keeps the newest points up to its capacity, oldest first', () => {
    const ring = new SeriesRing(3);
    for (let i = 0; i < 5; i++) ring.push(i * 1000, i);
    const seen: number[] = [];
    ring.forEachSince(0, (_t, v) => seen.push(v));
    expect(seen).toEqual([2, 3, 4]);
    expect(ring.latest()).toEqual({ timeMs: 4000, value: 4 });
  });

  it('merges points closer than the minimum spacing, newest value wins', () => {
    const ring = new SeriesRing(10);
    ring.push(0, 1);
    ring.push(MIN_POINT_SPACING_MS - 1, 2);
    ring.push(MIN_POINT_SPACING_MS * 2, 3);
    const seen: number[] = [];
    ring.forEachSince(0, (_t, v) => seen.push(v));
    expect(seen).toEqual([2, 3]);
  });

  it('holds the longest window at 2 points per second', () => {
    const ring = new SeriesRing();
    for (let t = 0; t <= MAX_WINDOW_MS; t += MIN_POINT_SPACING_MS) ring.push(t, t);
    let first = -1;
    ring.forEachSince(0, (t) => (first = first < 0 ? t : first));
    expect(first).toBe(0);
  });
});

describe('TelemetryBuffers', () => {
  it('discovers agents and numeric metrics from the data', () => {
    const buffers = new TelemetryBuffers();
    expect(buffers.ingest(1000, { agent_id: 'a1', cpu_usage: 10, note: 'x', nested: { v: 1 } })).toBe(true);
    expect(buffers.ingest(2000, { agent_id: 'a1', cpu_usage: 12 })).toBe(false);
    expect(buffers.ingest(2000, { agent_id: 'a2', cpu_usage: 5, gpu: 1 })).toBe(true);
    expect(buffers.agentIds()).toEqual(['a1', 'a2']);
    expect(buffers.metricNames()).toEqual(['cpu_usage', 'gpu']);
    expect(buffers.latest('a1')).toEqual({ cpu_usage: 12 });
  });

  it('ignores payloads without an agent id and non-finite values', () => {
    const buffers = new TelemetryBuffers();
    for (const payload of [null, 5, 'x', [1], { cpu: 1 }, { agent_id: '' }])
      expect(buffers.ingest(0, payload)).toBe(false);
    buffers.ingest(0, { agent_id: 'a', v: Number.NaN });
    expect(buffers.metricNames()).toEqual([]);
  });
});
