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
import { CHUNK_SLOTS, type StepSpec } from './steps.js';

/** Agents answered when the query names none. */
export const TOP_AGENTS = 8;

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

export function readMemory(
  memory: RollupMemory,
  metric: MetricEntry,
  step: StepSpec,
  range: BucketRange,
  agentIds: readonly string[] | undefined,
): MemoryAnswer {
  const agents = new Map<string, AgentBucket[]>();
  const chosen = agentIds ?? topAgents(memory, metric, step, range);
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

/** The agents with the highest mean of their bucket averages over the range, highest first. */
function topAgents(memory: RollupMemory, metric: MetricEntry, step: StepSpec, range: BucketRange): string[] {
  const top = new TopK(TOP_AGENTS);
  const v: BucketValues = { avg: 0, min: 0, max: 0, last: 0 };
  for (const agent of memory.agents.values()) {
    const row = agent.series.get(metric.index);
    if (row === undefined) continue;
    let sum = 0;
    let count = 0;
    forHeldBuckets(
      range,
      (chunk) => memory.rings.holdsChunk(row, step.index, chunk),
      (bucket) => {
        if (!memory.rings.read(row, step.index, bucket, v)) return;
        sum += v.avg;
        count++;
      },
    );
    if (count > 0) top.offer(agent.index, sum / count);
  }
  const ids: string[] = [];
  for (let i = 0; i < top.count; i++) {
    const agent = memory.agentsByIndex[top.ids[i]!];
    if (agent) ids.push(agent.id);
  }
  return ids;
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
