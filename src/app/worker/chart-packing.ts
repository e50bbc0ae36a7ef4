/**
 * Chart data across threads: the worker packs each chart into typed arrays (transferred,
 * not copied); the page unpacks them into the rows a chart draws — a few hundred numbers per
 * chart, no per-message work.
 */
import type { PackedChart } from './messages';
import { lineKey, TIME_KEY, type ChartData, type ChartRow } from './model/chart-data';

export function packChart(metric: string, data: ChartData, generation = 0): PackedChart {
  const lineCount = data.lines.length;
  const times = new Float64Array(data.rows.length);
  const values = new Float64Array(data.rows.length * lineCount).fill(NaN);
  const band = data.fleet ? new Float64Array(data.rows.length * 3).fill(NaN) : undefined;
  data.rows.forEach((row, i) => {
    times[i] = row[TIME_KEY];
    data.lines.forEach((line, j) => {
      const value = row[line.dataKey];
      if (value !== undefined) values[i * lineCount + j] = value;
    });
    if (band && row.band) band.set([row.band[0], row.band[1], row.median ?? NaN], i * 3);
  });
  const lines = data.lines.map(({ agentId, color, latest }) => ({ agentId, color, latest }));
  return {
    metric,
    generation,
    times,
    lines,
    values,
    band,
    fleet: data.fleet,
    agentCount: data.agentCount,
    endMs: data.endMs,
  };
}

/** The buffers a packed chart can hand over to the other thread. */
export function transferablesOf(chart: PackedChart): ArrayBuffer[] {
  const buffers = [chart.times.buffer, chart.values.buffer, chart.band?.buffer];
  return buffers.filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
}

export function unpackChart(chart: PackedChart): ChartData {
  const lineCount = chart.lines.length;
  const rows: ChartRow[] = [];
  for (let i = 0; i < chart.times.length; i++) {
    const row = Object.create(null) as ChartRow;
    row[TIME_KEY] = chart.times[i]!;
    for (let j = 0; j < lineCount; j++) {
      const value = chart.values[i * lineCount + j]!;
      if (!Number.isNaN(value)) row[lineKey(j)] = value;
    }
    if (chart.band && !Number.isNaN(chart.band[i * 3]!)) {
      row.band = [chart.band[i * 3]!, chart.band[i * 3 + 1]!];
      const median = chart.band[i * 3 + 2]!;
      if (!Number.isNaN(median)) row.median = median;
    }
    rows.push(row);
  }
  const lines = chart.lines.map((line, j) => ({ ...line, dataKey: lineKey(j) }));
  return { rows, lines, fleet: chart.fleet, agentCount: chart.agentCount, endMs: chart.endMs };
}
