import { describe, expect, it } from 'vitest';
import { FleetHistory, TOP_STICKY_MS } from './fleet-history';

const T0 = 1_800_000_000_000;

function second(fleet: FleetHistory, t: number, top: [string, number][]) {
  fleet.ingest(
    {
      t,
      metrics: {
        cpu: { min: 0, median: 50, max: 100, agents: 1000, top: top.map(([agent_id, value]) => ({ agent_id, value })) },
      },
    },
    t,
  );
}

describe('FleetHistory', () => {
  it('keeps the summaries per metric: band rings, fleet size, top agents and their values', () => {
    const fleet = new FleetHistory();
    second(fleet, T0, [['a', 99]]);
    expect(fleet.fleetSize()).toBe(1000);
    expect(fleet.metric('cpu')?.median.latest()).toEqual({ timeMs: T0, value: 50 });
    expect(fleet.topValues.series('a', 'cpu')?.latest()).toEqual({ timeMs: T0, value: 99 });
    fleet.ingest({ t: 'soon', metrics: {} }, T0);
    fleet.ingest({ t: T0, metrics: { bad: { min: 'x' } } }, T0);
    expect(fleet.metricNames()).toEqual(['cpu']);
  });

  it('draws the top agents steadily: one drawn stays while it was in the top lately, a free place takes the next', () => {
    const fleet = new FleetHistory();
    const eight = (prefix: string) => Array.from({ length: 8 }, (_, i): [string, number] => [`${prefix}${i}`, 90 - i]);
    second(fleet, T0, eight('a'));
    expect(fleet.drawnTop('cpu')).toEqual(eight('a').map(([id]) => id));
    // The next second another eight lead: the drawn ones stay (they were top moments ago).
    second(fleet, T0 + 1000, eight('b'));
    expect(fleet.drawnTop('cpu')).toEqual(eight('a').map(([id]) => id));
    // Long after the first eight left the top, the new leaders are drawn.
    second(fleet, T0 + TOP_STICKY_MS + 2000, eight('b'));
    expect(fleet.drawnTop('cpu')).toEqual(eight('b').map(([id]) => id));
  });
});
