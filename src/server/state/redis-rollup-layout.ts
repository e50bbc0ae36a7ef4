/**
 * How closed rollup buckets are laid out in Redis: one ring per series and step, a binary string
 * of at most `slots` records (the step's retention). A fleet or top ring is allocated whole on its
 * first write, its bucket `i` (start divided by the step) in record `i % slots`. A series ring
 * starts at its agent's first bucket (`origin`), bucket `i` in record `(i - origin) % slots`, and
 * grows `GROWTH_RECORDS` at a time (rewritten whole, so Redis allocates exactly its length), so a
 * series an hour old costs an hour of records, not a day's. Either way what a ring costs is known
 * from its length before it is written. A record carries its own bucket index, so a record left
 * from an earlier lap (the agent was silent) is told apart from a gap.
 *
 * Records, little-endian:
 * - series (one agent's one metric): u32 index, f32 avg, f32 min, f32 max, f32 last (20 bytes);
 * - fleet (one metric): u32 index, f32 min, f32 median, f32 max, u32 agents (20 bytes);
 * - top (one metric): u32 index, then the numbers of the `TOP_PER_BUCKET` agents with the highest
 *   bucket averages, highest first, 0 for none (36 bytes): the candidates of "top agents over a
 *   range", so that question never reads every agent's ring.
 * Float32 keeps 7 significant digits, which is what a chart draws.
 */
import type { AgentBucket, FleetBucket, RollupStep } from './rollup-store.js';

export const ROLLUP_STEPS: readonly RollupStep[] = ['1s', '10s', '1m'];

/** Width of each step. */
export const STEP_MS: Readonly<Record<RollupStep, number>> = { '1s': 1000, '10s': 10_000, '1m': 60_000 };

/** How long each step is kept. */
export const RETENTION_MS: Readonly<Record<RollupStep, number>> = {
  '1s': 15 * 60_000,
  '10s': 6 * 3_600_000,
  '1m': 24 * 3_600_000,
};

/** A series' name within its step's key prefix: `<agent number>:<metric>` (a number has no colon). */
export const seriesName = (agentNumber: number, metric: string): string => `${agentNumber}:${metric}`;

/** Records per ring: the buckets of one retention. */
export const ringSlots = (step: RollupStep): number => RETENTION_MS[step] / STEP_MS[step];

/** Records a series ring grows by: a minute of 1 s buckets, ten of 10 s, an hour of 1 min. */
export const GROWTH_RECORDS = 60;

/** Where bucket `index` goes in a series ring that started at bucket `origin`. */
export interface SeriesPlace {
  /** Record of the bucket. */
  readonly slot: number;
  /** Records the ring must hold for it. */
  readonly records: number;
}

/** The place of bucket `index` in a series ring started at `origin`; undefined before the origin. */
export function seriesPlace(step: RollupStep, index: number, origin: number): SeriesPlace | undefined {
  const age = index - origin;
  if (age < 0) return undefined;
  const slots = ringSlots(step);
  const records = age >= slots ? slots : Math.min(slots, (Math.floor(age / GROWTH_RECORDS) + 1) * GROWTH_RECORDS);
  return { slot: age % slots, records };
}

/** A series ring's first bucket, for an agent kept since `sinceMs`. */
export const seriesOrigin = (step: RollupStep, sinceMs: number): number => Math.floor(sinceMs / STEP_MS[step]);

export const SERIES_RECORD_BYTES = 20;
export const FLEET_RECORD_BYTES = 20;
export const TOP_PER_BUCKET = 8;
export const TOP_RECORD_BYTES = 4 + 4 * TOP_PER_BUCKET;

/** Bytes of a ring of `recordBytes` records for `step`. */
export const ringBytes = (step: RollupStep, recordBytes: number): number => ringSlots(step) * recordBytes;

/**
 * What Redis really allocates for a string value of `length` bytes (jemalloc size classes: four
 * per doubling above 4 KiB) plus the key's own entry, expiry and name: the cost the byte budget
 * counts, so `MEMORY USAGE` of a ring matches it within a few bytes.
 */
export function allocatedBytes(length: number, keyLength: number): number {
  const withHeader = length + 9;
  const power = 2 ** Math.floor(Math.log2(withHeader));
  const classStep = Math.max(8, power / 4);
  const KEY_OVERHEAD_BYTES = 96;
  return Math.ceil(withHeader / classStep) * classStep + KEY_OVERHEAD_BYTES + keyLength;
}

/** Writes one series record (an agent's bucket) at `offset`. */
export function putSeriesRecord(
  target: Buffer,
  offset: number,
  index: number,
  values: { avg: number; min: number; max: number; last: number },
): void {
  target.writeUInt32LE(index, offset);
  target.writeFloatLE(values.avg, offset + 4);
  target.writeFloatLE(values.min, offset + 8);
  target.writeFloatLE(values.max, offset + 12);
  target.writeFloatLE(values.last, offset + 16);
}

/** One fleet record. */
export function fleetRecord(index: number, fleet: FleetBucket): Buffer {
  const record = Buffer.alloc(FLEET_RECORD_BYTES);
  record.writeUInt32LE(index, 0);
  record.writeFloatLE(fleet.min, 4);
  record.writeFloatLE(fleet.median, 8);
  record.writeFloatLE(fleet.max, 12);
  record.writeUInt32LE(Math.max(0, Math.min(0xffff_ffff, Math.round(fleet.agents))), 16);
  return record;
}

/** One top record: the given agent numbers (at most TOP_PER_BUCKET, highest average first). */
export function topRecord(index: number, agentNumbers: readonly number[]): Buffer {
  const record = Buffer.alloc(TOP_RECORD_BYTES);
  record.writeUInt32LE(index, 0);
  agentNumbers.slice(0, TOP_PER_BUCKET).forEach((n, i) => record.writeUInt32LE(n, 4 + 4 * i));
  return record;
}

/** A Float32 back to the shortest decimal that reads as the same number on a chart. */
export const fromFloat32 = (value: number): number => Number(value.toPrecision(7));

/**
 * The records of `raw` (ring records read in bucket order) whose index lies in
 * `[fromIndex, toIndex]`, decoded by `decode`; records of earlier laps and empty ones are gaps.
 */
function decodeRecords<T>(
  raw: Buffer,
  recordBytes: number,
  range: IndexRange,
  decode: (offset: number, index: number) => T,
): T[] {
  const out: T[] = [];
  for (let offset = 0; offset + recordBytes <= raw.length; offset += recordBytes) {
    const index = raw.readUInt32LE(offset);
    if (index >= range.fromIndex && index <= range.toIndex) out.push(decode(offset, index));
  }
  return out;
}

export const decodeSeries = (raw: Buffer, stepMs: number, range: IndexRange): AgentBucket[] =>
  decodeRecords(raw, SERIES_RECORD_BYTES, range, (offset, index) => ({
    t: index * stepMs,
    avg: fromFloat32(raw.readFloatLE(offset + 4)),
    min: fromFloat32(raw.readFloatLE(offset + 8)),
    max: fromFloat32(raw.readFloatLE(offset + 12)),
    last: fromFloat32(raw.readFloatLE(offset + 16)),
  }));

export const decodeFleet = (raw: Buffer, stepMs: number, range: IndexRange): FleetBucket[] =>
  decodeRecords(raw, FLEET_RECORD_BYTES, range, (offset, index) => ({
    t: index * stepMs,
    min: fromFloat32(raw.readFloatLE(offset + 4)),
    median: fromFloat32(raw.readFloatLE(offset + 8)),
    max: fromFloat32(raw.readFloatLE(offset + 12)),
    agents: raw.readUInt32LE(offset + 16),
  }));

/** The agent numbers of each top record in range, highest average first. */
export const decodeTop = (raw: Buffer, range: IndexRange): number[][] =>
  decodeRecords(raw, TOP_RECORD_BYTES, range, (offset) => {
    const numbers: number[] = [];
    for (let i = 0; i < TOP_PER_BUCKET; i++) {
      const n = raw.readUInt32LE(offset + 4 + 4 * i);
      if (n > 0) numbers.push(n);
    }
    return numbers;
  });

/** Bucket indexes (bucket start / step width), both ends included. */
export interface IndexRange {
  readonly fromIndex: number;
  readonly toIndex: number;
}

/** A byte span of a ring, `GETRANGE` style (both ends included). */
export interface ByteSpan {
  readonly start: number;
  readonly end: number;
}

/**
 * The spans of a ring holding `range`, in bucket order: one span, or two when the range wraps
 * around the ring's end. A range longer than the ring holds its last `slots` buckets.
 */
export function ringSpans(range: IndexRange, slots: number, recordBytes: number): ByteSpan[] {
  if (range.toIndex < range.fromIndex) return [];
  const first = Math.max(range.fromIndex, range.toIndex - slots + 1) % slots;
  const last = range.toIndex % slots;
  if (first <= last) return [{ start: first * recordBytes, end: (last + 1) * recordBytes - 1 }];
  return [
    { start: first * recordBytes, end: slots * recordBytes - 1 },
    { start: 0, end: (last + 1) * recordBytes - 1 },
  ];
}
