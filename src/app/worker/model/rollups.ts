/**
 * The server's rollups of one metric (`GET /api/telemetry`) as the charts use them: what the live
 * buffers do not hold — the time before the page opened, an outage, the hours of a long range —
 * is drawn from here. A chart bucket takes the live value when the live buffers have one, else the
 * mean of the rollup buckets that fall into it; a bucket neither has stays empty: a gap, never 0.
 */

/** One fleet bucket: `t` is its start (ms since the epoch). */
export interface FleetRollup {
  readonly t: number;
  readonly min: number;
  readonly median: number;
  readonly max: number;
  readonly agents: number;
}

/** One agent's bucket. */
export interface AgentRollup {
  readonly t: number;
  readonly avg: number;
  readonly min: number;
  readonly max: number;
  readonly last: number;
}

/** The answer of `GET /api/telemetry` for one metric, oldest first. */
export interface RollupAnswer {
  readonly metric: string;
  readonly step: string;
  /** Bucket width in ms (from `step`). */
  readonly stepMs: number;
  readonly fleet: readonly FleetRollup[];
  /** A Map: agent ids are data from agents (`__proto__`, `constructor`), never object keys. */
  readonly agents: ReadonlyMap<string, readonly AgentRollup[]>;
}

/** Rollups kept: a few more metrics than are charted at once. */
export const MAX_ROLLUP_METRICS = 24;

/** Keeps the newest answer per metric, for MAX_ROLLUP_METRICS metrics at most (the oldest answer leaves). */
export function keepRollup(kept: Map<string, RollupAnswer>, answer: RollupAnswer): void {
  kept.delete(answer.metric);
  kept.set(answer.metric, answer);
  if (kept.size > MAX_ROLLUP_METRICS) kept.delete(kept.keys().next().value!);
}

/** Time buckets of a chart: `buckets` of `bucketMs` from `fromMs`. */
export interface Buckets {
  readonly fromMs: number;
  readonly bucketMs: number;
  readonly count: number;
}

function bucketOf(grid: Buckets, timeMs: number): number {
  return Math.floor((timeMs - grid.fromMs) / grid.bucketMs);
}

/**
 * Means per chart bucket of `value(point)` over the points (placed at their bucket's middle);
 * undefined where none falls.
 */
export function bucketMeans<T extends { readonly t: number }>(
  points: readonly T[],
  stepMs: number,
  grid: Buckets,
  value: (point: T) => number,
): (number | undefined)[] {
  const sums = new Float64Array(grid.count);
  const counts = new Uint32Array(grid.count);
  for (const point of points) {
    const i = bucketOf(grid, point.t + stepMs / 2);
    if (i < 0 || i >= grid.count) continue;
    const v = value(point);
    if (!Number.isFinite(v)) continue;
    sums[i] = sums[i]! + v;
    counts[i] = counts[i]! + 1;
  }
  return Array.from(counts, (count, i) => (count === 0 ? undefined : sums[i]! / count));
}

/** Live values where there are some, rollup values in the buckets live data does not cover. */
export function mergeLive(
  live: readonly (number | undefined)[],
  rollup: readonly (number | undefined)[] | undefined,
): (number | undefined)[] {
  if (!rollup) return [...live];
  return live.map((value, i) => value ?? rollup[i]);
}

/** The fleet band per chart bucket from rollups: lowest min, mean median, highest max. */
export function fleetBuckets(
  answer: RollupAnswer,
  grid: Buckets,
): { min: (number | undefined)[]; median: (number | undefined)[]; max: (number | undefined)[] } {
  const min: (number | undefined)[] = new Array<number | undefined>(grid.count).fill(undefined);
  const max = [...min];
  for (const point of answer.fleet) {
    const i = bucketOf(grid, point.t + answer.stepMs / 2);
    if (i < 0 || i >= grid.count) continue;
    min[i] = Math.min(min[i] ?? Infinity, point.min);
    max[i] = Math.max(max[i] ?? -Infinity, point.max);
  }
  return { min, median: bucketMeans(answer.fleet, answer.stepMs, grid, (p) => p.median), max };
}

/** Agents reported by the fleet in the answer's newest bucket (0 when none). */
export function rollupFleetSize(answer: RollupAnswer | undefined): number {
  const fleet = answer?.fleet;
  return fleet && fleet.length > 0 ? fleet[fleet.length - 1]!.agents : 0;
}
