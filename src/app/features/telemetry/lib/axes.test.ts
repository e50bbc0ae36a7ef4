import { describe, expect, it } from 'vitest';
import { formatClock } from '../../../lib/time-format';
import { TIME_KEY, type ChartData, type ChartRow } from '../../../worker';
import { formatValue, niceStep, timeAxis, valueAxis } from './axes';

function chart(points: [number, number][], endMs = points.at(-1)?.[0] ?? 0): ChartData {
  const rows = points.map(([t, v]) => {
    const row = Object.create(null) as ChartRow;
    row[TIME_KEY] = t;
    row.line0 = v;
    return row;
  });
  return {
    rows,
    lines: [{ agentId: 'a', dataKey: 'line0', color: '#000', latest: undefined }],
    fleet: false,
    agentCount: 1,
    endMs,
  };
}

describe('valueAxis', () => {
  it('reaches the values drawn over the data too (alert thresholds), with room between them and the edge', () => {
    const data = chart([
      [0, 13],
      [1, 47],
    ]);
    expect(valueAxis(data, [90]).domain).toEqual([0, 100]);
    // 99 would sit on the top tick (100, ticks 50 apart): one more step of room above it.
    expect(valueAxis(data, [99]).domain).toEqual([0, 150]);
    expect(valueAxis(data, [30])).toEqual(valueAxis(data)); // inside the data: the axis is the data's
    const [low, high] = valueAxis(data, [0, 47]).domain;
    expect(low).toBeLessThan(0);
    expect(high).toBeGreaterThan(47);
  });

  it('puts round ticks 1, 2 or 5 × 10ⁿ apart around every value', () => {
    expect(
      valueAxis(
        chart([
          [0, 13],
          [1, 87],
        ]),
      ),
    ).toEqual({ domain: [0, 100], ticks: [0, 20, 40, 60, 80, 100] });
    expect(
      valueAxis(
        chart([
          [0, 1210],
          [1, 3890],
        ]),
      ),
    ).toEqual({
      domain: [1000, 4000],
      ticks: [1000, 2000, 3000, 4000],
    });
  });

  it('gives a flat or a fractional series a readable range without float noise', () => {
    const flat = valueAxis(
      chart([
        [0, 50],
        [1, 50],
      ]),
    );
    expect(flat.domain[0]).toBeLessThanOrEqual(50);
    expect(flat.domain[1]).toBeGreaterThan(50);
    const small = valueAxis(
      chart([
        [0, 0.1],
        [1, 0.3],
      ]),
    );
    expect(small.ticks).toEqual([0.1, 0.15, 0.2, 0.25, 0.3]);
  });

  it('spans values a double cannot step through in round ticks, never looping or throwing', () => {
    const max = Number.MAX_VALUE;
    expect(
      valueAxis(
        chart([
          [0, -max],
          [1, max],
        ]),
      ),
    ).toEqual({ domain: [-max, max], ticks: [-max, max] });
    expect(
      valueAxis(
        chart([
          [0, max],
          [1, max],
        ]),
      ),
    ).toEqual({ domain: [0, max], ticks: [0, max] });
    expect(
      valueAxis(
        chart([
          [0, 0],
          [1, 1e-320],
        ]),
      ),
    ).toEqual({ domain: [0, 1e-320], ticks: [0, 1e-320] });
    expect(
      valueAxis(
        chart([
          [0, 5e-324],
          [1, 5e-324],
        ]),
      ),
    ).toEqual({ domain: [0, 5e-324], ticks: [0, 5e-324] });
    expect(
      valueAxis(
        chart([
          [0, 1e15],
          [1, 1e15 + 1],
        ]),
      ),
    ).toEqual({
      domain: [1e15, 1e15 + 1],
      ticks: [1e15, 1e15 + 1],
    });
    for (const values of [
      [-max, 0],
      [1e-7, 3e-7],
      [123456789.123, 123456789.124],
    ]) {
      const axis = valueAxis(chart(values.map((v, i) => [i, v])));
      expect(axis.ticks.length).toBeGreaterThanOrEqual(2);
      expect(axis.ticks.length).toBeLessThanOrEqual(12);
      expect(axis.domain[0]).toBeLessThan(axis.domain[1]);
      expect(axis.ticks.every(Number.isFinite)).toBe(true);
    }
  });

  it('has a range when there is nothing to draw', () => {
    expect(valueAxis(chart([]))).toEqual({ domain: [0, 1], ticks: [0, 1] });
  });

  it('rounds steps up to 1, 2 or 5', () => {
    expect([0.7, 1, 1.5, 3, 7, 12, 4500].map(niceStep)).toEqual([1, 1, 2, 5, 10, 20, 5000]);
  });
});

describe('timeAxis', () => {
  it('spans the rows and puts at most 4 ticks on round local times', () => {
    const from = new Date(2026, 11, 2, 9, 30, 7).getTime();
    const axis = timeAxis(
      chart([
        [from, 1],
        [from + 5 * 60_000, 2],
      ]),
    );
    expect(axis.domain).toEqual([from, from + 5 * 60_000]);
    expect(axis.ticks.map(formatClock)).toEqual(['09:32:00', '09:34:00']);
  });

  it('uses seconds for a short stretch', () => {
    const from = new Date(2026, 11, 2, 9, 30, 7, 400).getTime();
    const axis = timeAxis(
      chart([
        [from, 1],
        [from + 8_000, 2],
      ]),
    );
    expect(axis.ticks.map(formatClock)).toEqual(['09:30:08', '09:30:10', '09:30:12', '09:30:14']);
  });

  it('runs on to when the chart was prepared: data that stopped (an outage) ends before the axis does', () => {
    const from = new Date(2026, 11, 2, 9, 30, 0).getTime();
    const axis = timeAxis(
      chart(
        [
          [from, 1],
          [from + 2_000, 2],
        ],
        from + 20_000,
      ),
    );
    expect(axis.domain).toEqual([from, from + 20_000]);
    expect(axis.ticks.map(formatClock)).toEqual(['09:30:00', '09:30:10', '09:30:20']);
  });
});

describe('formatValue', () => {
  it('reads in a few characters at any size', () => {
    expect([0, 42.25, -7, 999.94, 1500, 12_345, 3_400_000, -2.5e9, 7e12].map(formatValue)).toEqual([
      '0',
      '42.3',
      '-7',
      '999.9',
      '1.5k',
      '12.3k',
      '3.4M',
      '-2.5G',
      '7.0T',
    ]);
    expect([Number.MAX_VALUE, -Number.MAX_VALUE, 5e-324, 0.001].map(formatValue)).toEqual([
      '1.8e+308',
      '-1.8e+308',
      '4.9e-324',
      '1.0e-3',
    ]);
  });
});
