/**
 * SVG path data for one chart's series, from its prepared rows and two scales (value → pixel).
 * Written here rather than drawn by recharts' `Line`/`Area`: those measure every path they draw
 * (`getTotalLength`), keep animation state and label lists per line, and register each line in
 * recharts' store, which made every redraw of a dozen charts a long main-thread task. These are
 * plain strings: a few hundred numbers per chart, one `d` attribute per line.
 *
 * A missing value is a break: the line stops and starts again with a new `M`. A point with no
 * neighbour on either side (the first one after an outage) is drawn as a dot, not left invisible.
 */
import { TIME_KEY, type ChartRow, type LineKey } from '../../../worker';

export type Scale = (value: number) => number | undefined;

/** Radius of a lone point's dot, in pixels. */
export const DOT_RADIUS_PX = 1.5;

const px = (value: number) => Math.round(value * 10) / 10;

/** A line through the rows' values under `key`, broken wherever a row has none. */
export function linePath(rows: readonly ChartRow[], key: LineKey | 'median', x: Scale, y: Scale): string {
  const out: string[] = [];
  let run: string[] = [];
  const flush = () => {
    if (run.length === 1) out.push(dot(run[0]!));
    else if (run.length > 1) out.push(`M${run.join('L')}`);
    run = [];
  };
  for (const row of rows) {
    const value = row[key];
    const point = value === undefined ? undefined : pointOf(x(row[TIME_KEY]), y(value));
    if (point === undefined) flush();
    else run.push(point);
  }
  flush();
  return out.join('');
}

/** The fleet's min–max band: a closed shape per run of rows that have a band. */
export function bandPath(rows: readonly ChartRow[], x: Scale, y: Scale): string {
  const out: string[] = [];
  let upper: string[] = [];
  let lower: string[] = [];
  const flush = () => {
    if (upper.length > 0) out.push(`M${upper.join('L')}L${lower.reverse().join('L')}Z`);
    upper = [];
    lower = [];
  };
  for (const row of rows) {
    const band = row.band;
    const xPx = x(row[TIME_KEY]);
    const top = band && pointOf(xPx, y(band[1]));
    const bottom = band && pointOf(xPx, y(band[0]));
    if (top === undefined || bottom === undefined) {
      flush();
      continue;
    }
    upper.push(top);
    lower.push(bottom);
  }
  flush();
  return out.join('');
}

/** The smallest and largest value drawn (lines and band), or undefined when there is none. */
export function valueRange(rows: readonly ChartRow[], keys: readonly LineKey[]): [number, number] | undefined {
  let min = Infinity;
  let max = -Infinity;
  const see = (value: number | undefined) => {
    if (value === undefined || !Number.isFinite(value)) return;
    if (value < min) min = value;
    if (value > max) max = value;
  };
  for (const row of rows) {
    for (const key of keys) see(row[key]);
    if (row.band) {
      see(row.band[0]);
      see(row.band[1]);
    }
    see(row.median);
  }
  return min <= max ? [min, max] : undefined;
}

function pointOf(xPx: number | undefined, yPx: number | undefined): string | undefined {
  if (xPx === undefined || yPx === undefined || !Number.isFinite(xPx) || !Number.isFinite(yPx)) return undefined;
  return `${px(xPx)},${px(yPx)}`;
}

/** A filled circle at one point, as path data (two arcs). */
function dot(point: string): string {
  const [xPx, yPx] = point.split(',').map(Number) as [number, number];
  const r = DOT_RADIUS_PX;
  return `M${px(xPx - r)},${yPx}a${r},${r} 0 1,0 ${2 * r},0a${r},${r} 0 1,0 ${-2 * r},0`;
}
