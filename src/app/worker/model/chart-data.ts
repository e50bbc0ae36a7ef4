/**
 * Turns ring buffers into what one chart draws, cheaply: every line is downsampled to a fixed
 * number of time buckets (one point per few pixels), and past MAX_LINES agents the fleet is drawn
 * as a band (min, median, max) plus up to MAX_LINES highlighted agents — the picked ones, else
 * those with the highest latest values.
 *
 * Rows never use an agent id or a metric name as a key (ids like `time`, `__proto__` or
 * `constructor` are data from agents): lines sit under indexed keys on prototype-less rows.
 */
import { seriesColor } from '../../lib/colors';
import type { TelemetryBuffers } from './telemetry-buffers';

export const MAX_LINES = 8;
/**
 * A hole in a line longer than this (or than 1.5 buckets) is drawn as a break — the connection
 * was down, or the agent went quiet — never bridged by a straight line as if nothing happened.
 * Shorter holes (a bucket without a point at 1 Hz) are bridged.
 */
export const MIN_BREAK_MS = 4_000;
/** Buckets per chart: ≈ one point per 6 px on the ≈ 430 px wide charts of a 1920 px screen. */
export const BUCKETS = 72;

/** Key of a row's time; agent ids and metric names are never keys of a row, so none can clash. */
export const TIME_KEY = 'time';

/** Key of the n-th drawn line in each row: indexed, never the agent id itself. */
export type LineKey = `line${number}`;

export function lineKey(index: number): LineKey {
  return `line${index}`;
}

export interface ChartLine {
  readonly agentId: string;
  /** Where the line's values sit in each row. */
  readonly dataKey: LineKey;
  readonly color: string;
  readonly latest: number | undefined;
}

/** One time bucket; a prototype-less object with only fixed or indexed keys. */
export interface ChartRow {
  [TIME_KEY]: number;
  /** Fleet band: [min, max] of the bucket. */
  band?: [number, number];
  median?: number;
  [line: LineKey]: number | undefined;
}

export interface ChartData {
  readonly rows: ChartRow[];
  readonly lines: ChartLine[];
  readonly fleet: boolean;
  /** Agents that have this metric (visible ones). */
  readonly agentCount: number;
  /**
   * When the chart was prepared: its time axis runs on to here, so a stretch without data at the
   * end (an outage, an agent gone quiet) shows as empty space, not as lines that end at "now".
   */
  readonly endMs: number;
}

export interface ChartInput {
  readonly buffers: TelemetryBuffers;
  readonly metric: string;
  readonly agents: readonly string[];
  readonly hidden: readonly string[];
  readonly pinned: readonly string[];
  readonly windowMs: number;
  readonly nowMs: number;
  readonly buckets?: number;
}

export function buildChartData(input: ChartInput): ChartData {
  const buckets = input.buckets ?? BUCKETS;
  const fromMs = input.nowMs - input.windowMs;
  const bucketMs = input.windowMs / buckets;
  const hidden = new Set(input.hidden);
  const visible = input.agents.filter((a) => !hidden.has(a) && input.buffers.series(a, input.metric));
  const fleet = visible.length > MAX_LINES;
  const highlighted = fleet ? pickHighlighted(input, visible) : visible;
  const keyOf = new Map(highlighted.map((agentId, i) => [agentId, lineKey(i)]));
  const rows = Array.from({ length: buckets }, (_, i) => newRow(Math.round(fromMs + (i + 0.5) * bucketMs)));
  const filled = new Uint8Array(buckets);
  const fleetValues: number[][] | undefined = fleet ? rows.map(() => []) : undefined;
  const breakBuckets = Math.max(MIN_BREAK_MS / bucketMs, 1.5);
  for (const agentId of visible) {
    const key = keyOf.get(agentId);
    bridgeShortHoles(bucketize(input, agentId, fromMs, bucketMs, buckets), breakBuckets).forEach((value, i) => {
      if (value === undefined) return;
      filled[i] = 1;
      if (key !== undefined) rows[i]![key] = value;
      fleetValues?.[i]!.push(value);
    });
  }
  if (fleetValues) fleetValues.forEach((values, i) => Object.assign(rows[i]!, bandOf(values)));
  const lines = highlighted.map((agentId, i) => ({
    agentId,
    dataKey: keyOf.get(agentId)!,
    // Up to 8 agents: by place in the fleet (stable across charts); fleet mode: by line.
    color: seriesColor(fleet ? i : input.agents.indexOf(agentId)),
    latest: input.buffers.series(agentId, input.metric)?.latest()?.value,
  }));
  // Empty rows between data stay: they are where the lines break.
  const first = filled.indexOf(1);
  const rowsDrawn = first < 0 ? [] : rows.slice(first, filled.lastIndexOf(1) + 1);
  return { rows: rowsDrawn, lines, fleet, agentCount: visible.length, endMs: input.nowMs };
}

/** Fills holes of at most `maxSpanBuckets` (from point to point) by linear interpolation. */
export function bridgeShortHoles(values: (number | undefined)[], maxSpanBuckets: number): (number | undefined)[] {
  let previous = -1;
  for (let i = 0; i < values.length; i++) {
    if (values[i] === undefined) continue;
    const span = i - previous;
    if (previous >= 0 && span > 1 && span <= maxSpanBuckets) {
      const from = values[previous]!;
      const step = (values[i]! - from) / span;
      for (let k = 1; k < span; k++) values[previous + k] = round(from + step * k);
    }
    previous = i;
  }
  return values;
}

function newRow(timeMs: number): ChartRow {
  const row = Object.create(null) as ChartRow;
  row[TIME_KEY] = timeMs;
  return row;
}

/** Mean of each bucket's points (undefined for empty buckets). */
function bucketize(
  input: ChartInput,
  agentId: string,
  fromMs: number,
  bucketMs: number,
  buckets: number,
): (number | undefined)[] {
  const sums = new Float64Array(buckets);
  const counts = new Uint32Array(buckets);
  input.buffers.series(agentId, input.metric)?.forEachSince(fromMs, (t, v) => {
    const i = Math.min(buckets - 1, Math.floor((t - fromMs) / bucketMs));
    sums[i] = sums[i]! + v;
    counts[i] = counts[i]! + 1;
  });
  return Array.from(counts, (count, i) => (count === 0 ? undefined : round(sums[i]! / count)));
}

function pickHighlighted(input: ChartInput, visible: readonly string[]): string[] {
  const visibleSet = new Set(visible);
  const pinned = input.pinned.filter((a) => visibleSet.has(a)).slice(0, MAX_LINES);
  if (pinned.length > 0) return pinned;
  return [...visible]
    .map((agentId) => ({ agentId, value: input.buffers.series(agentId, input.metric)?.latest()?.value ?? -Infinity }))
    .sort((a, b) => b.value - a.value || a.agentId.localeCompare(b.agentId))
    .slice(0, MAX_LINES)
    .map((x) => x.agentId);
}

function bandOf(values: number[]): Pick<ChartRow, 'band' | 'median'> {
  if (values.length === 0) return {};
  values.sort((a, b) => a - b);
  const mid = values.length >> 1;
  const median = values.length % 2 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2;
  return { band: [values[0]!, values[values.length - 1]!], median: round(median) };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
