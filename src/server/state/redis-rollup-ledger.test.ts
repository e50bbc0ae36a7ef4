import { describe, expect, it } from 'vitest';
import { RollupLedger, metricBytes, seriesBytes } from './redis-rollup-ledger.js';
import { ringSpans, seriesPlace } from './redis-rollup-layout.js';

describe('series ring places', () => {
  it('start at the origin and grow 60 records at a time, up to the retention', () => {
    expect(seriesPlace('1s', 100, 100)).toEqual({ slot: 0, records: 60 });
    expect(seriesPlace('1s', 159, 100)).toEqual({ slot: 59, records: 60 });
    expect(seriesPlace('1s', 160, 100)).toEqual({ slot: 60, records: 120 });
    expect(seriesPlace('1s', 100 + 899, 100)).toEqual({ slot: 899, records: 900 });
    expect(seriesPlace('1s', 100 + 900, 100)).toEqual({ slot: 0, records: 900 }); // wrapped
    expect(seriesPlace('1s', 99, 100)).toBeUndefined();
  });

  it('read a range in bucket order, in two spans when it wraps, at most one retention', () => {
    expect(ringSpans({ fromIndex: 10, toIndex: 12 }, 900, 20)).toEqual([{ start: 200, end: 259 }]);
    expect(ringSpans({ fromIndex: 898, toIndex: 901 }, 900, 20)).toEqual([
      { start: 898 * 20, end: 900 * 20 - 1 },
      { start: 0, end: 2 * 20 - 1 },
    ]);
    expect(ringSpans({ fromIndex: 0, toIndex: 5000 }, 900, 20)).toEqual([
      { start: 501 * 20, end: 900 * 20 - 1 }, // buckets 4101… (the last 900)
      { start: 0, end: 501 * 20 - 1 }, // …5000
    ]);
    expect(ringSpans({ fromIndex: 5, toIndex: 4 }, 900, 20)).toEqual([]);
  });
});

describe('rollup ledger (the byte budget in Redis)', () => {
  const oneSeries = seriesBytes('cpu', [60, 60, 60]);
  const fleet = metricBytes('cpu');

  /** Admits `id`'s cpu at `heardMs` and grows its rings to their first 60 records. */
  function heard(ledger: RollupLedger, id: string, heardMs: number) {
    const admission = ledger.admitSeries(id, 'cpu', heardMs);
    const evicted = [...admission.evicted];
    if (!admission.admitted) return { kept: false, evicted };
    for (let step = 0; step < 3; step++) {
      const grown = ledger.grow(admission.admitted, step, 60);
      evicted.push(...grown.evicted);
      if (!grown.admitted) return { kept: false, evicted };
    }
    return { kept: true, evicted };
  }

  it('pushes out the agents heard longest ago, whole, and keeps the fleet', () => {
    const ledger = new RollupLedger(fleet + 3 * (oneSeries + 300));
    expect(ledger.admitMetric('cpu', 0).admitted).toBe(true);
    for (const [i, id] of ['a', 'b', 'c'].entries()) expect(heard(ledger, id, i * 1000).kept).toBe(true);
    const d = heard(ledger, 'd', 3000);
    expect(d.kept).toBe(true);
    expect(d.evicted.map((agent) => agent.id)).toEqual(['a']);
    expect(ledger.agent('a')).toBeUndefined();
    expect(ledger.usedBytes).toBeLessThanOrEqual(ledger.budgetBytes);
  });

  it('never pushes out an agent heard in the same bucket: the newcomer waits', () => {
    const ledger = new RollupLedger(fleet + 2 * (oneSeries + 300));
    ledger.admitMetric('cpu', 0);
    expect(heard(ledger, 'a', 1000).kept).toBe(true);
    expect(heard(ledger, 'b', 1000).kept).toBe(true);
    const c = heard(ledger, 'c', 1000);
    expect(c).toEqual({ kept: false, evicted: [] });
    expect(ledger.agent('a')).toBeDefined();
    expect(ledger.agent('b')).toBeDefined();
  });

  it('charges ring growth, and an agent whose rings cannot grow leaves', () => {
    const ledger = new RollupLedger(fleet + 2 * (oneSeries + 300));
    ledger.admitMetric('cpu', 0);
    heard(ledger, 'a', 1000);
    heard(ledger, 'b', 1000);
    const before = ledger.usedBytes;
    const grown = ledger.grow(ledger.agent('b')!, 1, 2160); // a full 10 s ring: far past the budget
    expect(grown.admitted).toBe(false);
    expect(grown.evicted.map((agent) => agent.id)).toEqual(['b']);
    expect(ledger.usedBytes).toBeLessThan(before);
    expect(ledger.agent('a')).toBeDefined();
  });

  it('forgets the agents silent for longer than the longest retention', () => {
    const ledger = new RollupLedger(10 * fleet);
    ledger.admitMetric('cpu', 0);
    heard(ledger, 'old', 1000);
    heard(ledger, 'recent', 90_000_000);
    const before = ledger.usedBytes;
    expect(ledger.forgetHeardBefore(90_000_000 - 86_400_000).map((agent) => agent.id)).toEqual(['old']);
    expect(ledger.agent('old')).toBeUndefined();
    expect(ledger.agent('recent')).toBeDefined();
    expect(ledger.usedBytes).toBeLessThan(before);
    ledger.admitMetric('mem', 90_000_000);
    expect(ledger.forgetMetricsHeardBefore(90_000_000 - 86_400_000 + 2000)).toEqual(['cpu']);
    expect(ledger.admitMetric('cpu', 90_001_000).admitted).toBe(true); // a fleet again, counted again
  });
});
