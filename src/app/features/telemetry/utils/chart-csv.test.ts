import { describe, expect, it } from 'vitest';
import { TIME_KEY, type ChartData, type ChartRow } from '../../../worker';
import { chartCsv, chartFileName } from './chart-csv';

const T0 = Date.UTC(2026, 11, 7, 10, 0, 0);

function row(timeMs: number, values: Record<string, number | undefined>, band?: [number, number, number]): ChartRow {
  const out = Object.create(null) as ChartRow;
  out[TIME_KEY] = timeMs;
  for (const [key, value] of Object.entries(values)) if (value !== undefined) out[key as `line${number}`] = value;
  if (band) {
    out.band = [band[0], band[2]];
    out.median = band[1];
  }
  return out;
}

const line = (agentId: string, i: number) => ({
  agentId,
  dataKey: `line${i}` as const,
  color: '#000',
  latest: undefined,
});

describe('chartCsv', () => {
  it('writes a header row, ISO times and the values drawn, a gap as an empty cell', () => {
    const data: ChartData = {
      rows: [row(T0, { line0: 1.5, line1: 2 }), row(T0 + 1000, { line0: undefined, line1: 3 })],
      lines: [line('agent_001', 0), line('agent_002', 1)],
      fleet: false,
      agentCount: 2,
      endMs: T0 + 2000,
    };
    expect(chartCsv(data)).toBe(
      'time,agent_001,agent_002\r\n2026-12-07T10:00:00.000Z,1.5,2\r\n2026-12-07T10:00:01.000Z,,3\r\n',
    );
  });

  it('adds the fleet band in fleet mode', () => {
    const data: ChartData = {
      rows: [row(T0, { line0: 9 }, [1, 4, 9])],
      lines: [line('top', 0)],
      fleet: true,
      agentCount: 200,
      endMs: T0,
    };
    expect(chartCsv(data).split('\r\n')).toEqual([
      'time,fleet_min,fleet_median,fleet_max,top',
      '2026-12-07T10:00:00.000Z,1,4,9,9',
      '',
    ]);
  });

  it('quotes agent ids with commas or quotes, and defuses ids a spreadsheet would run as formulas', () => {
    const data: ChartData = {
      rows: [],
      lines: [line('a,"b"', 0), line('=HYPERLINK("x")', 1), line('-1', 2)],
      fleet: false,
      agentCount: 3,
      endMs: T0,
    };
    expect(chartCsv(data)).toBe('time,"a,""b""","\'=HYPERLINK(""x"")","\'-1"\r\n');
  });
});

describe('chartFileName', () => {
  it('names the metric (safe characters only) and the range', () => {
    const data: ChartData = { rows: [row(T0, {})], lines: [], fleet: false, agentCount: 0, endMs: T0 + 60_000 };
    expect(chartFileName('cpu usage/../x', data, 'csv')).toBe('cpu_usage_.._x-2026-12-07T100000-2026-12-07T100100.csv');
  });
});
