/**
 * Reading the rollups of one metric over a range from memory: the fleet's buckets and the chosen
 * agents' (or, when none is named, the `TOP_AGENTS` with the highest average over the range).
 * Only closed buckets within the step's retention are read; chunks not held are skipped whole, so
 * a sparse series costs its chunks, not the range's buckets.
 */
import type { AgentBucket, FleetBucket } from '../../state/index.js';
import type { MetricEntry, RollupMemory } from './rollup-memory.js';
import { TopK } from './selection.js';
import type { BucketValues } from './series-rings.js';
import { CHUNK_SLOTS, STEPS, type StepSpec } from './steps.js';

/** Agents answered when the query names none. */
export const TOP_AGENTS = 8;
/** Agents ranked by a coarser step before the exact ranking at the asked one. */
const CANDIDATES = 4 * TOP_AGENTS;
/** A coarser step ranks the agents only when the range holds at least this many of its buckets. */
const MIN_RANKING_BUCKETS = 4;

/** Bucket indexes (bucket start / step width), both inclusive. */
export interface BucketRange {
  readonly first: number;
  readonly last: number;
}

export interface MemoryAnswer {
  readonly fleet: FleetBucket[];
  readonly agents: Map<string, AgentBucket[]>;
}

/** A fleet value as its f32 holds it: no finer, and the JSON stays short. */
function rounded(value: number): number {
  return Number(value.toPrecision(8));
}

/** What to read: one metric at one step, the closed buckets of the range kept at each step. */
export interface MemoryRead {
  readonly metric: MetricEntry;
  readonly step: StepSpec;
  /** The range's closed buckets within retention at `step` (and, for ranking, at any step). */
  readonly rangeAt: (step: StepSpec) => BucketRange;
  readonly agentIds: readonly string[] | undefined;
}

export function readMemory(memory: RollupMemory, { metric, step, rangeAt, agentIds }: MemoryRead): MemoryAnswer {
  const range = rangeAt(step);
  const agents = new Map<string, AgentBucket[]>();
  const chosen = agentIds ?? topAgents(memory, metric, step, rangeAt);
  for (const agentId of chosen) {
    const row = memory.agents.get(agentId)?.series.get(metric.index);
    agents.set(agentId, row === undefined ? [] : readSeries(memory, row, step, range));
  }
  return { fleet: readFleetRange(memory, metric, step, range), agents };
}

function readSeries(memory: RollupMemory, row: number, step: StepSpec, range: BucketRange): AgentBucket[] {
  const out: AgentBucket[] = [];
  const v: BucketValues = { avg: 0, min: 0, max: 0, last: 0 };
  forHeldBuckets(
    range,
    (chunk) => memory.rings.holdsChunk(row, step.index, chunk),
    (bucket) => {
      if (!memory.rings.read(row, step.index, bucket, v)) return;
      out.push({
        t: bucket * step.stepMs,
        avg: rounded(v.avg),
        min: rounded(v.min),
        max: rounded(v.max),
        last: rounded(v.last),
      });
    },
  );
  return out;
}

function readFleetRange(memory: RollupMemory, metric: MetricEntry, step: StepSpec, range: BucketRange): FleetBucket[] {
  const out: FleetBucket[] = [];
  const v = new Float64Array(4);
  forHeldBuckets(
    range,
    () => true,
    (bucket) => {
      if (!memory.fleet.read(metric.fleet, step.index, bucket, v)) return;
      out.push({
        t: bucket * step.stepMs,
        min: rounded(v[0]!),
        median: rounded(v[1]!),
        max: rounded(v[2]!),
        agents: v[3]!,
      });
    },
  );
  return out;
}

/**
 * The agents with the highest mean of their bucket averages over the range, highest first. A
 * fleet is first ranked on the coarsest step that has a few buckets in the range (an hour is 60
 * 1 min buckets per agent, not 360 or 3,600), and only the best `CANDIDATES` are ranked exactly
 * at the asked step: 10,000 agents cost a few milliseconds.
 */
function topAgents(
  memory: RollupMemory,
  metric: MetricEntry,
  step: StepSpec,
  rangeAt: (step: StepSpec) => BucketRange,
): string[] {
  const ranking = STEPS.findLast((s) => s.index > step.index && bucketsIn(rangeAt(s)) >= MIN_RANKING_BUCKETS);
  let rows: number[] = [];
  for (const agent of memory.agents.values()) {
    const row = agent.series.get(metric.index);
    if (row !== undefined) rows.push(row);
  }
  if (ranking) rows = best(memory, rows, ranking, rangeAt(ranking), CANDIDATES);
  return best(memory, rows, step, rangeAt(step), TOP_AGENTS).flatMap((row) => {
    const agent = memory.agentsByIndex[memory.table.agentOf[row]!];
    return agent ? [agent.id] : [];
  });
}

/** The `size` rows with the highest mean average over `range` at `step`, highest first. */
function best(
  memory: RollupMemory,
  rows: readonly number[],
  step: StepSpec,
  range: BucketRange,
  size: number,
): number[] {
  const top = new TopK(size);
  for (const row of rows) {
    const mean = meanAvg(memory, row, step, range);
    if (!Number.isNaN(mean)) top.offer(row, mean);
  }
  return Array.from(top.ids.subarray(0, top.count));
}

function bucketsIn(range: BucketRange): number {
  return Math.max(0, range.last - range.first + 1);
}

const total = new Float64Array(2);

/** The mean of a series' bucket averages over the range (NaN when it has none). */
function meanAvg(memory: RollupMemory, row: number, step: StepSpec, range: BucketRange): number {
  total[0] = 0;
  total[1] = 0;
  memory.rings.sumAvgs(row, step.index, range.first, range.last, total);
  return total[1] === 0 ? NaN : total[0]! / total[1]!;
}

/** Calls `visit` for each bucket of the range whose chunk `held` says is there. */
function forHeldBuckets(range: BucketRange, held: (chunk: number) => boolean, visit: (bucket: number) => void): void {
  let bucket = range.first;
  while (bucket <= range.last) {
    const chunk = Math.floor(bucket / CHUNK_SLOTS);
    const chunkEnd = Math.min(range.last, (chunk + 1) * CHUNK_SLOTS - 1);
    if (held(chunk)) for (let b = bucket; b <= chunkEnd; b++) visit(b);
    bucket = chunkEnd + 1;
  }
}
