import { describe, expect, it } from 'vitest';
import { DEMAND_SETTLE_MS, demandDue, DemandTracker, FLEET_FRESH_MS, telemetryDemand } from './telemetry-demand';

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

describe('DemandTracker', () => {
  it('waits for the fleet summaries before the first demand, then sends only changes', () => {
    const tracker = new DemandTracker(NOW);
    const small = { ...base, fleetSize: 3, fleetHeardAtMs: 0 };
    expect(tracker.next(small)).toBeUndefined();
    expect(tracker.next({ ...base, nowMs: NOW + 1000 })).toEqual(['a', 'b', 'c']);
    expect(tracker.filtered).toBe(true);
    expect(tracker.next({ ...base, nowMs: NOW + 2000 })).toBeUndefined();
    // Without summaries for long: everyone (the first demand too, once the wait is over).
    expect(new DemandTracker(NOW).next({ ...small, nowMs: NOW + FLEET_FRESH_MS })).toBeNull();
  });
});
