import { describe, expect, it } from 'vitest';
import { DEMAND_SETTLE_MS, demandDue, FLEET_FRESH_MS, telemetryDemand } from './telemetry-demand';

const NOW = 1_000_000;
const base = { fleetSize: 10_000, fleetHeardAtMs: NOW, nowMs: NOW, pinned: [], firstChartLines: ['c', 'a', 'b'] };

describe('telemetryDemand', () => {
  it('a small fleet, or no fleet summaries from the server: every agent', () => {
    expect(telemetryDemand({ ...base, fleetSize: 8 })).toBeNull();
    expect(telemetryDemand({ ...base, fleetHeardAtMs: NOW - FLEET_FRESH_MS - 1 })).toBeNull();
  });

  it('a large fleet: only the agents drawn as lines — the picked ones, else the first chart’s — at most 8', () => {
    expect(telemetryDemand(base)).toEqual(['a', 'b', 'c']);
    expect(telemetryDemand({ ...base, pinned: ['z', 'y'] })).toEqual(['y', 'z']);
    const many = Array.from({ length: 20 }, (_, i) => `agent_${String(i).padStart(2, '0')}`);
    expect(telemetryDemand({ ...base, firstChartLines: many })).toHaveLength(8);
  });
});

describe('demandDue', () => {
  it('goes out at once between everyone and some agents, or when the picks change; top agents settle first', () => {
    expect(demandDue(null, ['a'], false, 0)).toBe(true);
    expect(demandDue(['a'], null, false, 0)).toBe(true);
    expect(demandDue(['a'], ['a'], true, 0)).toBe(false);
    expect(demandDue(['a'], ['b'], true, 0)).toBe(true);
    expect(demandDue(['a'], ['b'], false, 1000)).toBe(false);
    expect(demandDue(['a'], ['b'], false, DEMAND_SETTLE_MS)).toBe(true);
  });
});
