import { describe, expect, it } from 'vitest';
import { TelemetryBuffers } from '../../../store/telemetry-buffers';
import { buildChartData, MAX_LINES } from './chart-data';

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
    expect(data.rows.every((r) => typeof r.agent_1 === 'number')).toBe(true);
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

  it('keeps a stable colour per agent and reports the latest value', () => {
    const buffers = fleet(2);
    const a = buildChartData({ ...base, buffers, agents: buffers.agentIds() });
    const b = buildChartData({ ...base, buffers, agents: ['agent_1'] });
    expect(a.lines[1]!.color).toBe(b.lines[0]!.color);
    expect(a.lines[1]!.latest).toBe(buffers.series('agent_1', 'cpu')!.latest()!.value);
  });
});
