import { describe, expect, it } from 'vitest';
import { packChart, transferablesOf, unpackChart } from './chart-packing';
import { buildChartData } from './model/chart-data';
import { TelemetryBuffers } from './model/telemetry-buffers';

const NOW = 1_000_000;

function chartOf(agents: number) {
  const buffers = new TelemetryBuffers();
  for (let a = 0; a < agents; a++)
    for (let t = NOW - 60_000; t <= NOW; t += 1000)
      if (t < NOW - 40_000 || t > NOW - 20_000) buffers.ingest(t, { agent_id: `agent_${a}`, cpu: a + (t % 7) });
  return buildChartData({
    buffers,
    metric: 'cpu',
    agents: buffers.agentIds(),
    hidden: [],
    pinned: [],
    windowMs: 60_000,
    nowMs: NOW,
    buckets: 40,
  });
}

describe('chart packing', () => {
  it('round-trips lines, gaps and colours through typed arrays', () => {
    const data = chartOf(3);
    const packed = packChart('cpu', data);
    expect(packed.values).toBeInstanceOf(Float64Array);
    expect(transferablesOf(packed)).toHaveLength(2);
    expect(unpackChart(packed)).toEqual(data);
  });

  it('round-trips the fleet band and median', () => {
    const data = chartOf(12);
    expect(data.fleet).toBe(true);
    const packed = packChart('cpu', data);
    expect(transferablesOf(packed)).toHaveLength(3);
    expect(unpackChart(packed)).toEqual(data);
  });
});
