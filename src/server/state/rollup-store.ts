/**
 * The rollup archive: where closed telemetry buckets are kept for readers other than the process
 * that computed them (other processes, and processes started later), and read back from.
 *
 * Every process computes rollups itself, in memory, from the broker's `telemetry` stream (every
 * process sees every telemetry message), so the open bucket and live charts never wait on the
 * archive. The archive only matters when the state is shared: with Redis, closed buckets are
 * written there so a process started a minute ago (or after every process restarted) answers the
 * whole retention. Alone, the process's own memory is the only copy: `shared` is false, nothing is
 * written and reads answer nothing (the engine answers from its memory).
 *
 * Vocabulary:
 * - step: the width of a bucket, `1s`, `10s` or `1m`, each with its retention (15 min, 6 h, 24 h).
 * - bucket start `t`: ms since the epoch, a multiple of the step's width; a bucket covers
 *   `[t, t + stepMs)`.
 * - closed: the engine's clock has passed the bucket's end (plus a short grace for messages in
 *   flight), so no value will ever be added to it; a closed bucket is final.
 * - series: one agent's one metric; fleet: one metric over every agent that reported in the bucket.
 */

/** A bucket width. */
export type RollupStep = '1s' | '10s' | '1m';

/** One agent's values of one metric within one bucket. */
export interface AgentBucket {
  /** Bucket start, ms since the epoch. */
  readonly t: number;
  readonly avg: number;
  readonly min: number;
  readonly max: number;
  /** The value received last in the bucket. */
  readonly last: number;
}

/** One metric over the fleet within one bucket: over the agents' bucket averages. */
export interface FleetBucket {
  /** Bucket start, ms since the epoch. */
  readonly t: number;
  readonly min: number;
  readonly median: number;
  readonly max: number;
  /** How many agents reported the metric in the bucket. */
  readonly agents: number;
}

/**
 * One metric's closed bucket of one step, column-wise: `agentIds[i]` has `avg[i]`, `min[i]`,
 * `max[i]` and `last[i]` (every array as long as `agentIds`; only agents that reported in the
 * bucket appear, in no particular order).
 */
export interface ClosedMetricBucket {
  readonly metric: string;
  readonly fleet: FleetBucket;
  readonly agentIds: readonly string[];
  readonly avg: ArrayLike<number>;
  readonly min: ArrayLike<number>;
  readonly max: ArrayLike<number>;
  readonly last: ArrayLike<number>;
}

/** Every metric's bucket of one step that closed at one bucket start. */
export interface ClosedBuckets {
  readonly step: RollupStep;
  /** Width of the step in ms (1000, 10000, 60000). */
  readonly stepMs: number;
  /** Bucket start, ms since the epoch. */
  readonly t: number;
  /** One entry per metric that had a value in the bucket. */
  readonly metrics: readonly ClosedMetricBucket[];
}

/** What a reader asks for: one metric, one step, a time range. */
export interface RollupQuery {
  readonly metric: string;
  readonly step: RollupStep;
  /** Range start, ms since the epoch: the answer holds every bucket whose span overlaps `[fromMs, toMs]`. */
  readonly fromMs: number;
  /** Range end, ms since the epoch, inclusive (the bucket holding `toMs` is part of the answer). */
  readonly toMs: number;
  /**
   * The agents wanted. Absent: the `topAgents` agents with the highest average of the metric over
   * the buckets of the range the archive holds.
   */
  readonly agentIds?: readonly string[];
  readonly topAgents: number;
}

/** What the archive holds for a query; buckets oldest first, a bucket nothing fell into absent. */
export interface RollupAnswer {
  readonly fleet: readonly FleetBucket[];
  /** Agent id → its buckets; an agent with no bucket in the range may be absent. */
  readonly agents: ReadonlyMap<string, readonly AgentBucket[]>;
}

/** A metric the archive knows, and how many agents report it. */
export interface ArchivedMetric {
  readonly metric: string;
  readonly agents: number;
}

/**
 * Closed buckets kept for the deployment.
 *
 * Who writes: with a shared archive (Redis) exactly one process writes each closed bucket of the
 * deployment (its implementation decides which, e.g. with a one-winner claim per bucket or a
 * leader lease), so nothing is counted twice; every process calls `write` for every bucket it
 * closes and the archive drops the copies it does not need. Writes may be batched; a failed write
 * loses that bucket for other processes only (the writer's memory still holds it).
 *
 * Bounds: an archive keeps at most the retention of each step, and no more bytes than the
 * telemetry budget (`NEXUS_TELEMETRY_MAX_BYTES`) allows, the series of the agents heard from
 * longest ago leaving first and the fleet buckets always staying.
 */
export interface RollupArchive {
  /** Whether other processes share this archive; when false `write` is never needed. */
  readonly shared: boolean;
  /**
   * Archives the buckets of one step closed at one bucket start. Called once per step and bucket
   * by every process, in increasing `t` for a given step, never for a bucket still open.
   */
  write(closed: ClosedBuckets): Promise<void>;
  /** The archived buckets of the query's range, oldest first (empty when not shared). */
  read(query: RollupQuery): Promise<RollupAnswer>;
  /** Every archived metric with the number of agents reporting it (any order; empty when not shared). */
  metrics(): Promise<ArchivedMetric[]>;
  /** Stops background work (flushes, expiries); the connections stay (the broker's). */
  close(): Promise<void>;
}

/** An answer with no bucket. */
export const EMPTY_ROLLUP_ANSWER: RollupAnswer = { fleet: [], agents: new Map() };

/**
 * The archive of a process alone: its memory is the only copy, which the rollup engine reads
 * itself, so there is nothing to write and nothing else to read.
 */
export class LocalRollupArchive implements RollupArchive {
  readonly shared = false;

  write(_closed: ClosedBuckets): Promise<void> {
    return Promise.resolve();
  }

  read(_query: RollupQuery): Promise<RollupAnswer> {
    return Promise.resolve(EMPTY_ROLLUP_ANSWER);
  }

  metrics(): Promise<ArchivedMetric[]> {
    return Promise.resolve([]);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
