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
import type { FleetHistory } from './fleet-history';
import { bucketMeans, fleetBuckets, mergeLive, rollupFleetSize, type Buckets, type RollupAnswer } from './rollups';
import type { SeriesRing, TelemetryBuffers } from './telemetry-buffers';

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
  /** `telemetry.fleet` as received: the live band, fleet size and top agents' values. */
  readonly fleet?: FleetHistory;
  /** The server's rollups of this metric: what the live buffers do not hold. */
  readonly rollup?: RollupAnswer;
  /** false: a fixed range (a zoom), whose lines are the top over the range, not the latest top. */
  readonly live?: boolean;
}

/** Where each drawn agent's values come from, in order of preference, per chart bucket. */
function lineValues(input: ChartInput, agentId: string, grid: Buckets, fleet: boolean): (number | undefined)[] {
  let values = bucketize(input.buffers, input.metric, agentId, grid);
  if (fleet && input.fleet) values = mergeLive(values, bucketize(input.fleet.topValues, input.metric, agentId, grid));
  const rollup = input.rollup?.agents.get(agentId);
  if (rollup)
    values = mergeLive(
      values,
      bucketMeans(rollup, input.rollup!.stepMs, grid, (p) => p.avg),
    );
  return values;
}

/**
 * Buckets of a chart: BUCKETS, or fewer when the rollups drawn are coarser — a bucket never
 * narrower than a rollup step, else every few buckets would hold no rollup point and the lines
 * would break where nothing is missing (a bucket the server has no data for still breaks them).
 */
function bucketCount(input: ChartInput): number {
  if (input.buckets !== undefined) return input.buckets;
  const stepMs = input.rollup?.stepMs ?? 0;
  return stepMs > 0 ? Math.max(2, Math.min(BUCKETS, Math.floor(input.windowMs / stepMs))) : BUCKETS;
}

export function buildChartData(input: ChartInput): ChartData {
  const count = bucketCount(input);
  const grid: Buckets = { fromMs: input.nowMs - input.windowMs, bucketMs: input.windowMs / count, count };
  const hidden = new Set(input.hidden);
  const visible = input.agents.filter((a) => !hidden.has(a) && input.buffers.series(a, input.metric));
  const fleetLive = input.fleet?.metric(input.metric);
  const rollupAgents = [...(input.rollup?.agents.keys() ?? [])].filter((a) => !hidden.has(a));
  const agentCount = Math.max(visible.length, fleetLive?.agents ?? 0, rollupFleetSize(input.rollup));
  const fleet = agentCount > MAX_LINES;
  const everyone = [...new Set([...input.agents, ...rollupAgents])].sort();
  const highlighted = fleet
    ? pickHighlighted(input, visible, rollupAgents)
    : everyone.filter((a) => !hidden.has(a) && (visible.includes(a) || rollupAgents.includes(a)));
  const rows = Array.from({ length: grid.count }, (_, i) =>
    newRow(Math.round(grid.fromMs + (i + 0.5) * grid.bucketMs)),
  );
  const filled = new Uint8Array(grid.count);
  const breakBuckets = Math.max(MIN_BREAK_MS / grid.bucketMs, 1.5);
  highlighted.forEach((agentId, line) => {
    bridgeShortHoles(lineValues(input, agentId, grid, fleet), breakBuckets).forEach((value, i) => {
      if (value === undefined) return;
      filled[i] = 1;
      rows[i]![lineKey(line)] = round(value);
    });
  });
  if (fleet) fillBand(input, visible, grid, breakBuckets, rows, filled);
  const lines = highlighted.map((agentId, i) => ({
    agentId,
    dataKey: lineKey(i),
    // Up to 8 agents: by place in the fleet (stable across charts); fleet mode: by line.
    color: seriesColor(fleet ? i : everyone.indexOf(agentId)),
    latest: latestOf(input, agentId),
  }));
  // Empty rows between data stay: they are where the lines break.
  const first = filled.indexOf(1);
  const rowsDrawn = first < 0 ? [] : rows.slice(first, filled.lastIndexOf(1) + 1);
  return { rows: rowsDrawn, lines, fleet, agentCount, endMs: input.nowMs };
}

/**
 * The fleet's band and median: from `telemetry.fleet` and the rollups when the server sends them
 * (the page then holds raw telemetry only for the agents it draws), else from every agent's raw
 * values (a server without fleet summaries: the page hears every agent).
 */
function fillBand(
  input: ChartInput,
  visible: readonly string[],
  grid: Buckets,
  breakBuckets: number,
  rows: ChartRow[],
  filled: Uint8Array,
): void {
  const live = input.fleet?.metric(input.metric);
  const summaries = live !== undefined || input.rollup !== undefined;
  const band = summaries ? summaryBand(input, grid, breakBuckets) : rawBand(input, visible, grid, breakBuckets);
  band.forEach((b, i) => {
    if (!b) return;
    filled[i] = 1;
    rows[i]!.band = [round(b.min), round(b.max)];
    rows[i]!.median = round(b.median);
  });
}

type Band = { min: number; median: number; max: number } | undefined;

function summaryBand(input: ChartInput, grid: Buckets, breakBuckets: number): Band[] {
  const live = input.fleet?.metric(input.metric);
  const fromRollup = input.rollup ? fleetBuckets(input.rollup, grid) : undefined;
  const part = (ring: SeriesRing | undefined, pick: 'min' | 'median' | 'max') => {
    const values = ring ? bucketizeRing(ring, grid, pick) : new Array<number | undefined>(grid.count).fill(undefined);
    return bridgeShortHoles(mergeLive(values, fromRollup?.[pick]), breakBuckets);
  };
  const min = part(live?.min, 'min');
  const median = part(live?.median, 'median');
  const max = part(live?.max, 'max');
  return min.map((low, i) =>
    low === undefined || median[i] === undefined || max[i] === undefined
      ? undefined
      : { min: low, median: median[i], max: max[i] },
  );
}

function rawBand(input: ChartInput, visible: readonly string[], grid: Buckets, breakBuckets: number): Band[] {
  const values: number[][] = Array.from({ length: grid.count }, () => []);
  for (const agentId of visible)
    bridgeShortHoles(bucketize(input.buffers, input.metric, agentId, grid), breakBuckets).forEach((value, i) => {
      if (value !== undefined) values[i]!.push(value);
    });
  return values.map(bandOf);
}

function latestOf(input: ChartInput, agentId: string): number | undefined {
  const raw = input.buffers.series(agentId, input.metric)?.latest()?.value;
  if (raw !== undefined) return raw;
  const top = input.fleet?.topValues.series(agentId, input.metric)?.latest()?.value;
  if (top !== undefined) return top;
  const rollup = input.rollup?.agents.get(agentId);
  return rollup && rollup.length > 0 ? rollup[rollup.length - 1]!.last : undefined;
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

/** Mean of each bucket's points of one agent's series (undefined for empty buckets). */
function bucketize(buffers: TelemetryBuffers, metric: string, agentId: string, grid: Buckets): (number | undefined)[] {
  const ring = buffers.series(agentId, metric);
  return ring ? bucketizeRing(ring, grid, 'mean') : new Array<number | undefined>(grid.count).fill(undefined);
}

/** A ring's points per bucket: their mean, or their lowest or highest (a band's edges). */
function bucketizeRing(
  ring: SeriesRing,
  grid: Buckets,
  how: 'mean' | 'min' | 'median' | 'max',
): (number | undefined)[] {
  const sums = new Float64Array(grid.count);
  const counts = new Uint32Array(grid.count);
  ring.forEachSince(grid.fromMs, (t, v) => {
    const i = Math.floor((t - grid.fromMs) / grid.bucketMs);
    if (i >= grid.count) return;
    if (how === 'min') sums[i] = counts[i] === 0 ? v : Math.min(sums[i]!, v);
    else if (how === 'max') sums[i] = counts[i] === 0 ? v : Math.max(sums[i]!, v);
    else sums[i] = sums[i]! + v;
    counts[i] = counts[i]! + 1;
  });
  const mean = how === 'mean' || how === 'median';
  return Array.from(counts, (count, i) => (count === 0 ? undefined : mean ? sums[i]! / count : sums[i]!));
}

/**
 * The agents drawn as lines over the band: the picked ones; else, on a chart that ends now, those
 * with the highest latest values (`telemetry.fleet`, kept steady by FleetHistory.drawnTop); on a
 * zoom into the past, or before any summary, the server's top over the range (rollups: highest
 * average); else those with the highest latest raw values.
 */
function pickHighlighted(input: ChartInput, visible: readonly string[], rollupAgents: readonly string[]): string[] {
  const pinned = input.pinned.filter((a) => !input.hidden.includes(a)).slice(0, MAX_LINES);
  if (pinned.length > 0) return pinned;
  const top = input.live === false ? [] : (input.fleet?.drawnTop(input.metric) ?? []);
  if (top.length > 0) return top.slice(0, MAX_LINES);
  if (rollupAgents.length > 0) return rollupAgents.slice(0, MAX_LINES);
  return [...visible]
    .map((agentId) => ({ agentId, value: input.buffers.series(agentId, input.metric)?.latest()?.value ?? -Infinity }))
    .sort((a, b) => b.value - a.value || a.agentId.localeCompare(b.agentId))
    .slice(0, MAX_LINES)
    .map((x) => x.agentId);
}

function bandOf(values: number[]): Band {
  if (values.length === 0) return undefined;
  values.sort((a, b) => a - b);
  const mid = values.length >> 1;
  const median = values.length % 2 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2;
  return { min: values[0]!, median, max: values[values.length - 1]! };
}
function round(value: number): number {
  return Math.round(value * 100) / 100;
}
