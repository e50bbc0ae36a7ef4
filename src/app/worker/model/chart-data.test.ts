import { describe, expect, it } from 'vitest';
import { TelemetryBuffers } from './telemetry-buffers';
import { buildChartData, MAX_LINES, TIME_KEY, type ChartData } from './chart-data';

const NOW = 1_000_000;

function fleet(count: number): TelemetryBuffers {
  const buffers = new TelemetryBuffers();
  for (let a = 0; a < count; a++) {
    for (let t = NOW - 60_000; t <= NOW; t += 1000)
      buffers.ingest(t, { agent_id: `agent_${a}`, cpu: a * 10 + (t % 3) });
  }
  return buffers;
}

const base = { metric: 'cpu', hidden: [], pinned: [], windowMs: 60_000, nowMs: NOW, buckets: 30 };

describe('chart data', () => {
  it('draws one downsampled line per agent up to the limit', () => {
    const buffers = fleet(3);
    const data = buildChartData({ ...base, buffers, agents: buffers.agentIds() });
    expect(data.fleet).toBe(false);
    expect(data.lines.map((l) => l.agentId)).toEqual(['agent_0', 'agent_1', 'agent_2']);
    expect(data.rows.length).toBeLessThanOrEqual(30);
    const key = data.lines[1]!.dataKey;
    expect(data.rows.every((r) => typeof r[key] === 'number')).toBe(true);
  });

  it('hides toggled-off agents', () => {
    const buffers = fleet(3);
    const data = buildChartData({ ...base, buffers, agents: buffers.agentIds(), hidden: ['agent_1'] });
    expect(data.lines.map((l) => l.agentId)).toEqual(['agent_0', 'agent_2']);
  });

  it('past the limit draws a band plus the top agents, or the picked ones', () => {
    const buffers = fleet(50);
    const data = buildChartData({ ...base, buffers, agents: buffers.agentIds() });
    expect(data.fleet).toBe(true);
    expect(data.lines).toHaveLength(MAX_LINES);
    expect(data.lines[0]!.agentId).toBe('agent_49');
    const row = data.rows[data.rows.length - 1]!;
    expect(row.band![0]).toBeLessThanOrEqual(row.median!);
    expect(row.band![1]).toBeGreaterThanOrEqual(490);
    const picked = buildChartData({ ...base, buffers, agents: buffers.agentIds(), pinned: ['agent_3', 'agent_7'] });
    expect(picked.lines.map((l) => l.agentId)).toEqual(['agent_3', 'agent_7']);
  });

  it('keeps a stable colour per agent (also when another is hidden) and reports the latest value', () => {
    const buffers = fleet(2);
    const a = buildChartData({ ...base, buffers, agents: buffers.agentIds() });
    const b = buildChartData({ ...base, buffers, agents: buffers.agentIds(), hidden: ['agent_0'] });
    expect(b.lines.map((l) => l.agentId)).toEqual(['agent_1']);
    expect(a.lines[1]!.color).toBe(b.lines[0]!.color);
    expect(a.lines[1]!.latest).toBe(buffers.series('agent_1', 'cpu')!.latest()!.value);
  });

  it('gives 8 agents 8 different colours', () => {
    const buffers = fleet(8);
    const data = buildChartData({ ...base, buffers, agents: buffers.agentIds() });
    expect(new Set(data.lines.map((l) => l.color)).size).toBe(8);
  });

  it('draws an outage as a break in the lines, and bridges a missing point or two', () => {
    const buffers = new TelemetryBuffers();
    // 1 Hz, then 20 s of nothing (the connection was down), then 1 Hz again.
    for (let t = NOW - 60_000; t <= NOW; t += 1000)
      if (t < NOW - 35_000 || t > NOW - 15_000) buffers.ingest(t, { agent_id: 'a', cpu: 50 });
    const data = buildChartData({ ...base, buffers, agents: ['a'], buckets: 72 });
    const key = data.lines[0]!.dataKey;
    const times = data.rows.map((r) => r[TIME_KEY]);
    const inOutage = data.rows.filter((r) => r[TIME_KEY] > NOW - 34_000 && r[TIME_KEY] < NOW - 16_000);
    expect(inOutage.length).toBeGreaterThan(0);
    expect(inOutage.every((r) => r[key] === undefined)).toBe(true);
    // Outside the outage (1 Hz in buckets of 0.83 s, so some are empty) the line is whole.
    const outside = data.rows.filter((r) => r[TIME_KEY] < NOW - 37_000 || r[TIME_KEY] > NOW - 13_000);
    expect(outside.every((r) => r[key] === 50)).toBe(true);
    expect(times).toEqual([...times].sort((x, y) => x - y));
  });
});

/** The drawn values of one agent's line, by row time. */
function lineOf(data: ChartData, agentId: string): [number, number][] {
  const line = data.lines.find((l) => l.agentId === agentId)!;
  return data.rows.filter((r) => r[line.dataKey] !== undefined).map((r) => [r[TIME_KEY], r[line.dataKey]!]);
}

describe('chart data with names chosen by agents', () => {
  const RESERVED_AGENTS = ['t', 'time', '__proto__', 'constructor', 'toString', 'line0', 'band', 'median'];

  it('draws agents named like the time key or Object.prototype members as ordinary lines', () => {
    const buffers = new TelemetryBuffers();
    for (let t = NOW - 30_000; t <= NOW; t += 1000)
      RESERVED_AGENTS.forEach((agentId, i) => buffers.ingest(t, { agent_id: agentId, cpu: 100 + i }));
    const data = buildChartData({ ...base, buffers, agents: buffers.agentIds() });
    expect(data.fleet).toBe(false);
    expect(data.lines.map((l) => l.agentId).sort()).toEqual([...RESERVED_AGENTS].sort());
    for (const row of data.rows) {
      expect(Object.getPrototypeOf(row)).toBeNull();
      expect(typeof row[TIME_KEY]).toBe('number');
      expect(row[TIME_KEY]).toBeGreaterThan(NOW - 60_000);
    }
    RESERVED_AGENTS.forEach((agentId, i) => {
      const points = lineOf(data, agentId);
      expect(points.length).toBeGreaterThan(10);
      expect(points.every(([, v]) => v === 100 + i)).toBe(true);
    });
    // The times are increasing bucket centres, untouched by an agent named like a key.
    const times = data.rows.map((r) => r[TIME_KEY]);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('charts metrics named __proto__ and hasOwnProperty', () => {
    const buffers = new TelemetryBuffers();
    for (let t = NOW - 10_000; t <= NOW; t += 1000)
      buffers.ingest(t, JSON.parse(`{"agent_id":"t","__proto__":7,"hasOwnProperty":9}`));
    for (const [metric, value] of [
      ['__proto__', 7],
      ['hasOwnProperty', 9],
    ] as const) {
      const data = buildChartData({ ...base, metric, buffers, agents: buffers.agentIds() });
      expect(data.lines).toEqual([expect.objectContaining({ agentId: 't', latest: value })]);
      expect(lineOf(data, 't').every(([, v]) => v === value)).toBe(true);
    }
  });

  it('keeps reserved agent names apart in fleet mode too', () => {
    const buffers = fleet(20);
    for (let t = NOW - 60_000; t <= NOW; t += 1000) {
      buffers.ingest(t, { agent_id: 't', cpu: 1000 });
      buffers.ingest(t, { agent_id: '__proto__', cpu: 999 });
    }
    const data = buildChartData({ ...base, buffers, agents: buffers.agentIds() });
    expect(data.fleet).toBe(true);
    expect(data.lines.slice(0, 2).map((l) => l.agentId)).toEqual(['t', '__proto__']);
    const last = data.rows[data.rows.length - 1]!;
    expect(last[TIME_KEY]).toBeLessThanOrEqual(NOW);
    expect(last.band![1]).toBe(1000);
    expect(lineOf(data, 't').every(([, v]) => v === 1000)).toBe(true);
  });
});
