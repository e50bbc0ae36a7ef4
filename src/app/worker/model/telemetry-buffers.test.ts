import { describe, expect, it } from 'vitest';
import { Limits } from '@nexus-realtime/client/protocol';
import {
  MAX_AGENT_ID_LENGTH,
  MAX_FLEET_AGENTS,
  MAX_FLEET_METRICS,
  MAX_METRIC_NAME_LENGTH,
  MAX_METRICS_PER_AGENT,
  MAX_WINDOW_MS,
  MIN_POINT_SPACING_MS,
  SeriesRing,
  TelemetryBuffers,
} from './telemetry-buffers';

/** A payload with `count` numeric fields `<prefix>0`, `<prefix>1`, … */
function wide(agentId: string, count: number, prefix = 'm', value = 1): Record<string, unknown> {
  const payload: Record<string, unknown> = { agent_id: agentId };
  for (let i = 0; i < count; i++) payload[`${prefix}${i}`] = value;
  return payload;
}

function values(ring: SeriesRing | undefined): number[] {
  const seen: number[] = [];
  ring?.forEachSince(0, (_t, v) => seen.push(v));
  return seen;
}

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

  it('keeps order while it grows and once it wraps', () => {
    const ring = new SeriesRing(40);
    for (let i = 0; i < 100; i++) ring.push(i * 1000, i);
    expect(ring.size).toBe(40);
    expect(values(ring)).toEqual(Array.from({ length: 40 }, (_, i) => 60 + i));
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

describe('TelemetryBuffers bounds', () => {
  it('keeps the first 64 numeric fields of an agent and ignores the rest', () => {
    expect(MAX_METRICS_PER_AGENT).toBe(64);
    expect(Limits.maxMetricsPerAgent).toBe(MAX_METRICS_PER_AGENT);
    const buffers = new TelemetryBuffers();
    expect(buffers.ingest(1000, wide('hostile', 400))).toBe(true);
    expect(buffers.metricNames()).toHaveLength(64);
    expect(buffers.metricNames()).toEqual(Array.from({ length: 64 }, (_, i) => `m${i}`));
    expect(Object.keys(buffers.latest('hostile'))).toHaveLength(64);
    expect(buffers.series('hostile', 'm64')).toBeUndefined();
    // Later messages update the kept fields; new names stay out.
    expect(buffers.ingest(2000, { ...wide('hostile', 400, 'm', 5), other: 1 })).toBe(false);
    expect(values(buffers.series('hostile', 'm63'))).toEqual([1, 5]);
    expect(buffers.series('hostile', 'other')).toBeUndefined();
    expect(buffers.metricNames()).toHaveLength(64);
  });

  it('counts fields over several messages, and the cap of one agent does not limit another', () => {
    const buffers = new TelemetryBuffers();
    buffers.ingest(1000, wide('a', 40, 'x'));
    buffers.ingest(2000, wide('a', 40, 'y'));
    expect(Object.keys(buffers.latest('a'))).toHaveLength(64);
    expect(buffers.series('a', 'y23')).toBeDefined();
    expect(buffers.series('a', 'y24')).toBeUndefined();
    buffers.ingest(3000, { agent_id: 'b', cpu_usage: 3, y30: 4 });
    expect(buffers.latest('b')).toEqual({ cpu_usage: 3, y30: 4 });
  });

  it('tracks at most MAX_FLEET_METRICS names across the fleet', () => {
    const buffers = new TelemetryBuffers();
    const agents = Math.ceil((MAX_FLEET_METRICS + 100) / 64);
    for (let a = 0; a < agents; a++) buffers.ingest(1000, wide(`agent_${a}`, 64, `a${a}_`));
    expect(buffers.metricNames()).toHaveLength(MAX_FLEET_METRICS);
    // Names already tracked still work for a newcomer; new ones do not.
    expect(buffers.ingest(2000, { agent_id: 'late', a0_1: 2, brand_new: 3 })).toBe(true);
    expect(buffers.latest('late')).toEqual({ a0_1: 2 });
    expect(buffers.metricNames()).toHaveLength(MAX_FLEET_METRICS);
  });

  it('ignores metric names longer than MAX_METRIC_NAME_LENGTH', () => {
    const buffers = new TelemetryBuffers();
    const long = 'x'.repeat(MAX_METRIC_NAME_LENGTH + 1);
    buffers.ingest(1000, { agent_id: 'a', [long]: 1, ['y'.repeat(MAX_METRIC_NAME_LENGTH)]: 2 });
    expect(buffers.metricNames()).toEqual(['y'.repeat(MAX_METRIC_NAME_LENGTH)]);
  });

  it('orders metrics by how many agents report them, then first seen', () => {
    const buffers = new TelemetryBuffers();
    buffers.ingest(1000, { agent_id: 'a', zeta: 1, alpha: 2 });
    buffers.ingest(1000, { agent_id: 'b', beta: 1, gamma: 2 });
    expect(buffers.metricNames()).toEqual(['zeta', 'alpha', 'beta', 'gamma']);
    buffers.ingest(2000, { agent_id: 'b', alpha: 3 });
    expect(buffers.metricNames()).toEqual(['alpha', 'zeta', 'beta', 'gamma']);
  });

  it("charts the fleet's metrics first although one agent sent 64 made-up ones before the fleet began", () => {
    const buffers = new TelemetryBuffers();
    buffers.ingest(1000, wide('hostile', 64));
    for (const agentId of ['agent_1', 'agent_2'])
      buffers.ingest(1500, { agent_id: agentId, cpu_usage: 10, memory_mb: 512 });
    const names = buffers.metricNames();
    expect(names.slice(0, 3)).toEqual(['cpu_usage', 'memory_mb', 'm0']);
    expect(names).toHaveLength(66);
  });
});

describe('TelemetryBuffers with names chosen by agents', () => {
  it('keeps at most MAX_FLEET_AGENTS agents: made-up ids push out the agent seen longest ago, not one that keeps reporting', () => {
    const buffers = new TelemetryBuffers();
    buffers.ingest(1000, { agent_id: 'steady', cpu_usage: 1 });
    buffers.ingest(1000, { agent_id: 'gone_quiet', cpu_usage: 1, only_quiet: 5 });
    for (let i = 0; i < MAX_FLEET_AGENTS + 500; i++) {
      buffers.ingest(2000 + i, { agent_id: `made_up_${i}`, cpu_usage: i });
      if (i % 100 === 0) buffers.ingest(2000 + i, { agent_id: 'steady', cpu_usage: 2 });
    }
    const ids = buffers.agentIds();
    expect(ids).toHaveLength(MAX_FLEET_AGENTS);
    expect(ids).toContain('steady');
    expect(ids).not.toContain('gone_quiet');
    expect(ids).toContain(`made_up_${MAX_FLEET_AGENTS + 499}`);
    expect(ids).not.toContain('made_up_0');
    // A metric only a forgotten agent reported is gone with it.
    expect(buffers.metricNames()).toEqual(['cpu_usage']);
  });

  it('ignores telemetry whose agent_id is longer than MAX_AGENT_ID_LENGTH', () => {
    const buffers = new TelemetryBuffers();
    expect(buffers.ingest(1000, { agent_id: 'a'.repeat(MAX_AGENT_ID_LENGTH + 1), cpu_usage: 1 })).toBe(false);
    expect(buffers.ingest(1000, { agent_id: 'b'.repeat(MAX_AGENT_ID_LENGTH), cpu_usage: 1 })).toBe(true);
    expect(buffers.agentIds()).toEqual(['b'.repeat(MAX_AGENT_ID_LENGTH)]);
  });

  it('treats agent ids and metric names like __proto__ as plain data', () => {
    const buffers = new TelemetryBuffers();
    const payloads = ['t', '__proto__', 'constructor', 'toString'].map((agentId, i) =>
      JSON.parse(`{"agent_id":${JSON.stringify(agentId)},"__proto__":${i},"hasOwnProperty":${10 + i},"cpu":1}`),
    );
    for (const payload of payloads) buffers.ingest(1000, payload);
    expect(buffers.agentIds()).toEqual(['__proto__', 'constructor', 't', 'toString']);
    expect(buffers.metricNames()).toEqual(['__proto__', 'hasOwnProperty', 'cpu']);
    const latest = buffers.latest('__proto__');
    expect(Object.getPrototypeOf(latest)).toBeNull();
    expect(Object.keys(latest)).toEqual(['__proto__', 'hasOwnProperty', 'cpu']);
    expect(latest['__proto__']).toBe(1);
    expect(latest['hasOwnProperty']).toBe(11);
    expect(buffers.series('constructor', 'hasOwnProperty')!.latest()!.value).toBe(12);
    expect(buffers.agent('toString')!.lastSeenMs).toBe(1000);
    expect(buffers.agent('valueOf')).toBeUndefined();
    expect(buffers.series('t', 'toString')).toBeUndefined();
  });

  it('never reads a metric from Object.prototype for a full agent', () => {
    const buffers = new TelemetryBuffers();
    buffers.ingest(1000, { ...wide('a', 63), constructor: 1 });
    buffers.ingest(2000, { agent_id: 'a', m0: 2 });
    expect(values(buffers.series('a', 'constructor'))).toEqual([1]);
  });
});
