/**
 * A chart's axes, computed here rather than by recharts: the range and round tick values of both
 * axes come from the prepared rows, so recharts never measures tick labels to thin them out (it
 * does that with a DOM text measurement per label per redraw), and values read the same in the
 * axis, the legend and the tooltip.
 */
import { TIME_KEY, type ChartData } from '../../../worker';
import { valueRange } from './series-paths';

/** Suffixes for thousands, millions …; past the last, values read in exponent notation. */
const SCALES = [
  { at: 1e12, suffix: 'T' },
  { at: 1e9, suffix: 'G' },
  { at: 1e6, suffix: 'M' },
  { at: 1e3, suffix: 'k' },
] as const;

/**
 * A value in a few characters: one decimal, `k`/`M`/`G`/`T` for large ones, exponent notation
 * past that or for tiny non-zero ones (a value an agent sent never reads as a 300-digit number
 * or as a plain 0).
 */
export function formatValue(value: number): string {
  const size = Math.abs(value);
  if (size >= 1e15 || (size > 0 && size < 0.05)) return value.toExponential(1);
  const scale = SCALES.find((s) => size >= s.at);
  return scale ? `${(value / scale.at).toFixed(1)}${scale.suffix}` : String(Math.round(value * 10) / 10);
}

export interface ValueAxis {
  readonly domain: [number, number];
  readonly ticks: number[];
}

/** A threshold closer than this share of a step to the axis's end gets one more step of room. */
const EDGE_ROOM = 0.25;
/** About this many intervals between ticks on a 150 px chart. */
const TICK_INTERVALS = 4;
/** Never more ticks than this, whatever the values. */
const MAX_VALUE_TICKS = 12;
/**
 * Round ticks only while a step is this far from the limits of a double: values are data from
 * agents (1e-320, ±1.7e308, 1e15 + 1), and a step that floating point cannot add faithfully
 * would loop without end or repeat ticks. Past it the axis simply spans the values.
 */
const MIN_STEP = 1e-9;
const MAX_MAGNITUDE_PER_STEP = 1e12;

/**
 * The y axis for every drawn value (lines, band, median): round tick values (1, 2 or 5 × 10ⁿ
 * apart) and a range from the tick at or below the smallest value to the one at or above the
 * largest (and `alsoShow`, values drawn over the data). A flat series gets a range around its value.
 */
export function valueAxis(data: ChartData, alsoShow: readonly number[] = []): ValueAxis {
  const range = valueRange(
    data.rows,
    data.lines.map((line) => line.dataKey),
  );
  if (!range) return { domain: [0, 1], ticks: [0, 1] };
  // Values drawn over the data (alert thresholds) are kept in sight too, never on the very edge
  // (a line there hides in the axis, and its label has no room): one more step then.
  const extra = alsoShow.filter(Number.isFinite);
  const min = Math.min(range[0], ...extra);
  const max = Math.max(range[1], ...extra);
  const span = max - min || Math.abs(max) || 1;
  const step = niceStep(span / TICK_INTERVALS);
  const nearEdge = (edge: number) => extra.some((value) => Math.abs(value - edge) < step * EDGE_ROOM);
  let low = Math.floor(min / step) * step;
  let high = Math.max(Math.ceil(max / step) * step, low + step);
  if (nearEdge(low)) low -= step;
  if (nearEdge(high)) high += step;
  const magnitude = Math.max(Math.abs(low), Math.abs(high));
  if (![step, low, high].every(Number.isFinite) || step < MIN_STEP || magnitude / step > MAX_MAGNITUDE_PER_STEP)
    return spanningAxis(min, max);
  const ticks: number[] = [];
  for (let i = 0; i < MAX_VALUE_TICKS && low + i * step <= high + step / 2; i++)
    ticks.push(roundTo(low + i * step, step));
  return { domain: [ticks[0]!, ticks[ticks.length - 1]!], ticks };
}

/** An axis from the smallest to the largest value (or from zero to a flat series' value). */
function spanningAxis(min: number, max: number): ValueAxis {
  const low = min < max ? min : Math.min(min, 0);
  const high = min < max ? max : Math.max(max, 0);
  return low < high ? { domain: [low, high], ticks: [low, high] } : { domain: [0, 1], ticks: [0, 1] };
}

/** The smallest of 1, 2, 5 × 10ⁿ at or above `raw`. */
export function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
}

/** Strips float noise (0.1 + 0.2) from a multiple of `step`. */
function roundTo(value: number, step: number): number {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  return Number(value.toFixed(decimals));
}

export interface TimeAxis {
  readonly domain: [number, number];
  readonly ticks: number[];
}

/** Tick spacings for times, from a second to six hours (the longest range is a day). */
const TIME_STEPS_MS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600].map(
  (s) => s * 1000,
);
/** At most this many time ticks: an `HH:MM:SS` label is ≈ 50 px, the charts ≈ 300–430 px wide. */
const MAX_TIME_TICKS = 4;

/**
 * The time axis: from the first row to when the chart was prepared (so a stretch without data at
 * the end is empty space), ticks on round times (whole 5 s, 30 s, 1 min …), at most
 * MAX_TIME_TICKS so labels never overlap.
 */
export function timeAxis(data: ChartData): TimeAxis {
  const rows = data.rows;
  if (rows.length === 0) return { domain: [0, 1], ticks: [] };
  const from = rows[0]![TIME_KEY];
  const to = Math.max(rows[rows.length - 1]![TIME_KEY], data.endMs, from + 1);
  const step =
    TIME_STEPS_MS.find((s) => Math.floor(to / s) - Math.ceil(from / s) + 1 <= MAX_TIME_TICKS) ?? TIME_STEPS_MS.at(-1)!;
  const ticks: number[] = [];
  // Whole steps of local time (offsets from UTC are whole minutes; steps of an hour or less divide them, or nearly).
  const offset = new Date(from).getTimezoneOffset() * 60_000;
  for (let t = Math.ceil((from - offset) / step) * step + offset; t <= to && ticks.length < MAX_TIME_TICKS; t += step)
    ticks.push(t);
  return { domain: [from, to], ticks };
}
