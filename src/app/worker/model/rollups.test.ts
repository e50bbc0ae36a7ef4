import { describe, expect, it } from 'vitest';
import { buildChartData, TIME_KEY } from './chart-data';
import { FleetHistory } from './fleet-history';
import { bucketMeans, mergeLive, type RollupAnswer } from './rollups';
import { TelemetryBuffers } from './telemetry-buffers';

const NOW = Date.UTC(2026, 11, 7, 12);
const HOUR = 3_600_000;

/** 10 s rollups of one hour for agent a (cpu = minute of the hour), with a gap from 20 to 30 min. */
function hourOfRollups(): RollupAnswer {
  const points = [];
  for (let t = NOW - HOUR; t < NOW; t += 10_000) {
    const minute = (t - (NOW - HOUR)) / 60_000;
    if (minute >= 20 && minute < 30) continue;
    points.push({ t, avg: minute, min: minute, max: minute, last: minute });
  }
  return {
    metric: 'cpu',
    step: '10s',
    stepMs: 10_000,
    fleet: points.map((p) => ({ t: p.t, min: p.avg - 1, median: p.avg, max: p.avg + 1, agents: 2 })),
    agents: new Map([['a', points]]),
  };
}

describe('mergeLive', () => {
  it('takes the live value where there is one, the rollup value elsewhere, and leaves a gap where neither has one', () => {
    expect(mergeLive([undefined, 5, undefined, undefined], [1, 2, undefined, 4])).toEqual([1, 5, undefined, 4]);
    expect(mergeLive([undefined, 5], undefined)).toEqual([undefined, 5]);
  });
});

describe('bucketMeans', () => {
  it('places each rollup bucket by its middle and averages those that share a chart bucket', () => {
    const grid = { fromMs: 0, bucketMs: 20_000, count: 3 };
    const points = [0, 10_000, 40_000].map((t) => ({ t, v: t / 1000 }));
    expect(bucketMeans(points, 10_000, grid, (p) => p.v)).toEqual([5, undefined, 40]);
  });
});

describe('chart data from rollups and the live buffers', () => {
  const base = { metric: 'cpu', hidden: [], pinned: [], windowMs: HOUR, nowMs: NOW, buckets: 60 };

  it('draws an hour before the page opened from rollups, the live minutes from the buffers, and keeps the gap', () => {
    const buffers = new TelemetryBuffers();
    for (let t = NOW - 30_000; t <= NOW; t += 1000) buffers.ingest(t, { agent_id: 'a', cpu: 100 });
    const data = buildChartData({ ...base, buffers, agents: buffers.agentIds(), rollup: hourOfRollups() });
    expect(data.fleet).toBe(false);
    expect(data.lines.map((l) => l.agentId)).toEqual(['a']);
    const key = data.lines[0]!.dataKey;
    const valueAt = (minute: number) =>
      data.rows.find((r) => Math.floor((r[TIME_KEY] - (NOW - HOUR)) / 60_000) === minute)?.[key];
    expect(data.rows[0]![TIME_KEY]).toBeLessThan(NOW - HOUR + 60_000);
    expect(valueAt(5)).toBeCloseTo(5.4, 0);
    // Ten minutes without a rollup bucket: a gap, not a bridge and not a 0.
    for (let minute = 20; minute < 30; minute++) expect(valueAt(minute), `minute ${minute}`).toBeUndefined();
    expect(valueAt(31)).toBeCloseTo(31.4, 0);
    // The last minute is live (100), not the rollup's 59.
    expect(valueAt(59)).toBe(100);
  });

  it('with the fleet summarised by the server, draws its band and top agents without raw data from them', () => {
    const fleet = new FleetHistory();
    for (let t = NOW - 20_000; t <= NOW; t += 1000)
      fleet.ingest(
        {
          t,
          metrics: {
            cpu: { min: 1, median: 50, max: 99, agents: 10_000, top: [{ agent_id: 'hot', value: 99 }] },
          },
        },
        t,
      );
    const buffers = new TelemetryBuffers();
    const data = buildChartData({ ...base, windowMs: 60_000, buffers, agents: [], fleet });
    expect(data.fleet).toBe(true);
    expect(data.agentCount).toBe(10_000);
    expect(data.lines.map((l) => l.agentId)).toEqual(['hot']);
    const last = data.rows.at(-1)!;
    expect(last.band).toEqual([1, 99]);
    expect(last.median).toBe(50);
    expect(last[data.lines[0]!.dataKey]).toBe(99);
    expect(fleet.metricNames()).toEqual(['cpu']);
  });

  it('in fleet mode the band before the live part comes from the fleet rollups, gaps kept', () => {
    const rollup = { ...hourOfRollups(), fleet: hourOfRollups().fleet.map((b) => ({ ...b, agents: 500 })) };
    const data = buildChartData({ ...base, buffers: new TelemetryBuffers(), agents: [], rollup });
    expect(data.fleet).toBe(true);
    expect(data.lines.map((l) => l.agentId)).toEqual(['a']);
    const bandAt = (minute: number) =>
      data.rows.find((r) => Math.floor((r[TIME_KEY] - (NOW - HOUR)) / 60_000) === minute)?.band;
    // Minute 10: the lowest min (10 − 1) and the highest max (10 + 50/60 + 1) of its rollup buckets.
    expect(bandAt(10)).toEqual([9, 11.83]);
    expect(bandAt(25)).toBeUndefined();
  });

  it('a zoom finer than the rollup step is not broken every few buckets; an absent rollup bucket still breaks it', () => {
    const tenMinutes = 600_000;
    const points = [];
    for (let t = NOW - tenMinutes; t < NOW; t += 10_000)
      if (t !== NOW - 300_000) points.push({ t, avg: 5, min: 5, max: 5, last: 5 });
    const rollup: RollupAnswer = {
      metric: 'cpu',
      step: '10s',
      stepMs: 10_000,
      fleet: [],
      agents: new Map([['a', points]]),
    };
    const data = buildChartData({
      ...base,
      buckets: undefined,
      windowMs: tenMinutes,
      buffers: new TelemetryBuffers(),
      agents: [],
      rollup,
    });
    expect(data.rows.length).toBe(60);
    const key = data.lines[0]!.dataKey;
    const missing = data.rows.filter((r) => r[key] === undefined).map((r) => r[TIME_KEY]);
    expect(missing).toEqual([NOW - 300_000 + 5_000]);
  });
});
