/**
 * A chart as CSV: the series it draws, one row per time, `time` as ISO 8601 (UTC), then the
 * fleet's band (min, median, max) when drawn, then one column per drawn agent. A gap is an empty
 * cell, never a 0. Agent ids are data from agents, so every cell is quoted as RFC 4180 asks, and a
 * text cell that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`) is prefixed with `'`
 * (OWASP "CSV injection").
 */
import { TIME_KEY, type ChartData } from '../../../worker';

const FORMULA_START = /^[=+\-@\t\r]/;

function textCell(text: string): string {
  const safe = FORMULA_START.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) || safe !== text ? `"${safe.replace(/"/g, '""')}"` : safe;
}

const numberCell = (value: number | undefined) => (value === undefined || !Number.isFinite(value) ? '' : String(value));

export function chartCsv(data: ChartData): string {
  const header = [
    'time',
    ...(data.fleet ? ['fleet_min', 'fleet_median', 'fleet_max'] : []),
    ...data.lines.map((line) => line.agentId),
  ];
  const rows = data.rows.map((row) => {
    const band = data.fleet ? [row.band?.[0], row.median, row.band?.[1]].map(numberCell) : [];
    const values = data.lines.map((line) => numberCell(row[line.dataKey]));
    return [new Date(row[TIME_KEY]).toISOString(), ...band, ...values].join(',');
  });
  return [header.map(textCell).join(','), ...rows].join('\r\n') + '\r\n';
}

/** A file name for a chart's download: the metric (only safe characters) and the range drawn. */
export function chartFileName(metric: string, data: ChartData, extension: 'csv' | 'png'): string {
  const safe = metric.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 64) || 'chart';
  const stamp = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace(/[:]/g, '');
  const rows = data.rows;
  const span = rows.length > 0 ? `-${stamp(rows[0]![TIME_KEY])}-${stamp(data.endMs)}` : '';
  return `${safe}${span}.${extension}`;
}
