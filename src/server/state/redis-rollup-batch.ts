/**
 * One closed bucket of one step, turned into what the writer sends Redis: a record per kept
 * series, per metric a fleet record and a top record, sent as ring writes of at most
 * `RINGS_PER_CALL` rings each (one packed blob per call: a few hundred bytes of names and 20 bytes
 * per ring, so 60,000 series are sixty calls of about a millisecond), plus the bookkeeping of
 * agents admitted and pushed out under the byte budget (redis-rollup-ledger.ts).
 */
import type { ClosedBuckets, ClosedMetricBucket } from './rollup-store.js';
import type { KeptAgent, RollupLedger } from './redis-rollup-ledger.js';
import {
  FLEET_RECORD_BYTES,
  SERIES_RECORD_BYTES,
  TOP_PER_BUCKET,
  TOP_RECORD_BYTES,
  ROLLUP_STEPS,
  fleetRecord,
  putSeriesRecord,
  ringBytes,
  ringSlots,
  seriesName,
  seriesOrigin,
  seriesPlace,
  topRecord,
  type SeriesPlace,
} from './redis-rollup-layout.js';

/**
 * Lets the event loop run other work between the metrics of a bucket: planning and encoding a
 * metric of 10,000 agents is about ten milliseconds, a whole bucket of many metrics much more.
 */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Rings one script call writes at most. */
export const RINGS_PER_CALL = 500;

/** A ring's expiry is refreshed when its slot is a multiple of this (every few writes, not each). */
export const REFRESH_EVERY_SLOTS = 10;

/** One call of the ring-write script. */
export interface RingWrite {
  /** Key prefix; each name completes one key. */
  readonly prefix: 'series' | 'fleet' | 'top';
  /** The metric (fleet, top), or "<offset> <length> <name>" of a series ring (see the series script). */
  readonly names: string[];
  readonly records: Buffer;
  readonly recordBytes: number;
}

/** Where one bucket goes in every ring of its step, and how long rings live. */
export interface RingPlacement {
  readonly index: number;
  readonly slot: number;
  readonly refresh: boolean;
  readonly expiryMs: number;
}

/** The series of one metric the ledger admitted: (agent, column index). */
interface Admitted {
  readonly bucket: ClosedMetricBucket;
  readonly agents: KeptAgent[];
  readonly columns: number[];
}

export interface PlannedBucket {
  readonly placement: RingPlacement;
  readonly admitted: Admitted[];
  /** Agents new to the archive, or with a metric new to it (their entry is written again). */
  readonly changed: Set<KeptAgent>;
  readonly evicted: KeptAgent[];
  /** Metrics whose fleet does not fit the budget (nothing of them is written). */
  readonly refusedMetrics: string[];
  /** Where the bucket goes in each written agent's series rings. */
  readonly places: Map<KeptAgent, SeriesPlace>;
}

export function placement(closed: ClosedBuckets): RingPlacement {
  const index = Math.floor(closed.t / closed.stepMs);
  const slot = index % ringSlots(closed.step);
  const REFRESH_MARGIN_SLOTS = REFRESH_EVERY_SLOTS + 2;
  const expiryMs = (ringSlots(closed.step) + REFRESH_MARGIN_SLOTS) * closed.stepMs;
  return { index, slot, refresh: index % REFRESH_EVERY_SLOTS === 0, expiryMs };
}

/**
 * Decides what of `closed` the archive keeps: agents already kept are marked heard first (so a
 * newcomer never pushes out an agent of the same bucket), then newcomers are admitted while the
 * budget allows, then each agent's rings grow to hold the bucket (or the agent leaves).
 */
export async function planBucket(ledger: RollupLedger, closed: ClosedBuckets): Promise<PlannedBucket> {
  const admission = await admit(ledger, closed);
  const { evicted, admitted } = admission;
  const places = new Map<KeptAgent, SeriesPlace>();
  const stepIndex = ROLLUP_STEPS.indexOf(closed.step);
  const index = Math.floor(closed.t / closed.stepMs);
  for (const entry of admitted) {
    await nextTurn();
    for (const agent of entry.agents) {
      if (places.has(agent)) continue;
      const place = seriesPlace(closed.step, index, seriesOrigin(closed.step, agent.sinceMs));
      if (!place) continue; // a bucket older than the agent's rings: not kept
      const grown = ledger.grow(agent, stepIndex, place.records);
      if (grown.evicted.length > 0) evicted.push(...grown.evicted);
      if (grown.admitted) places.set(agent, place);
    }
  }
  const gone = new Set(evicted);
  for (const agent of gone) places.delete(agent);
  for (const entry of admitted) keepOnly(entry, places);
  for (const agent of gone) admission.changed.delete(agent);
  return { ...admission, placement: placement(closed), evicted: [...gone], places };
}

/** Admits the bucket's metrics and series (before their rings grow). */
async function admit(ledger: RollupLedger, closed: ClosedBuckets) {
  const heardMs = closed.t;
  for (const bucket of closed.metrics)
    for (const id of bucket.agentIds) {
      const kept = ledger.agent(id);
      if (kept) ledger.touch(kept, heardMs);
    }
  const evicted: KeptAgent[] = [];
  const changed = new Set<KeptAgent>();
  const admitted: Admitted[] = [];
  const refusedMetrics: string[] = [];
  for (const bucket of closed.metrics) {
    await nextTurn();
    const metric = ledger.admitMetric(bucket.metric, heardMs);
    evicted.push(...metric.evicted);
    if (!metric.admitted) {
      refusedMetrics.push(bucket.metric);
      continue;
    }
    const entry: Admitted = { bucket, agents: [], columns: [] };
    bucket.agentIds.forEach((id, column) => {
      const kept = ledger.agent(id);
      if (kept?.metrics.has(bucket.metric)) {
        // The common case: a series already kept (heard already marked above).
        entry.agents.push(kept);
        entry.columns.push(column);
        return;
      }
      const series = ledger.admitSeries(id, bucket.metric, heardMs);
      if (series.evicted.length > 0) evicted.push(...series.evicted);
      if (!series.admitted) return;
      changed.add(series.admitted);
      entry.agents.push(series.admitted);
      entry.columns.push(column);
    });
    admitted.push(entry);
  }
  return { admitted, changed, evicted, refusedMetrics };
}

/** Keeps in `entry` only the agents whose rings take the bucket. */
function keepOnly(entry: Admitted, places: ReadonlyMap<KeptAgent, SeriesPlace>): void {
  for (let i = entry.agents.length - 1; i >= 0; i--)
    if (!places.has(entry.agents[i]!)) {
      entry.agents.splice(i, 1);
      entry.columns.splice(i, 1);
    }
}

/** The ring writes of a planned bucket (agents numbered already). */
export async function ringWrites(plan: PlannedBucket): Promise<RingWrite[]> {
  const writes = await seriesWrites(plan);
  if (plan.admitted.length === 0) return writes;
  const index = plan.placement.index;
  const metrics = plan.admitted.map((entry) => entry.bucket.metric);
  const fleet = plan.admitted.map((entry) => fleetRecord(index, entry.bucket.fleet));
  const top = plan.admitted.map((entry) => topRecord(index, topNumbers(entry)));
  writes.push({ prefix: 'fleet', names: metrics, records: Buffer.concat(fleet), recordBytes: FLEET_RECORD_BYTES });
  writes.push({ prefix: 'top', names: metrics, records: Buffer.concat(top), recordBytes: TOP_RECORD_BYTES });
  return writes;
}

/** The series records of a planned bucket, `RINGS_PER_CALL` to a call. */
async function seriesWrites(plan: PlannedBucket): Promise<RingWrite[]> {
  const writes: RingWrite[] = [];
  let names: string[] = [];
  let records = Buffer.alloc(RINGS_PER_CALL * SERIES_RECORD_BYTES);
  const flush = () => {
    if (names.length === 0) return;
    const used = records.subarray(0, names.length * SERIES_RECORD_BYTES);
    writes.push({ prefix: 'series', names, records: used, recordBytes: SERIES_RECORD_BYTES });
    names = [];
    records = Buffer.alloc(RINGS_PER_CALL * SERIES_RECORD_BYTES);
  };
  const values = { avg: 0, min: 0, max: 0, last: 0 };
  const headOf = seriesHeads(plan);
  for (const { bucket, agents, columns } of plan.admitted) {
    await nextTurn();
    agents.forEach((agent, i) => {
      const column = columns[i]!;
      values.avg = bucket.avg[column]!;
      values.min = bucket.min[column]!;
      values.max = bucket.max[column]!;
      values.last = bucket.last[column]!;
      putSeriesRecord(records, names.length * SERIES_RECORD_BYTES, plan.placement.index, values);
      names.push(headOf(agent) + bucket.metric);
      if (names.length === RINGS_PER_CALL) flush();
    });
  }
  flush();
  return writes;
}

/** "<offset> <length> <agent number>:" of each agent, built once: the same for each of its metrics. */
function seriesHeads(plan: PlannedBucket): (agent: KeptAgent) => string {
  const heads = new Map<KeptAgent, string>();
  return (agent) => {
    let head = heads.get(agent);
    if (head === undefined) {
      const place = plan.places.get(agent)!;
      head = `${place.slot * SERIES_RECORD_BYTES} ${place.records * SERIES_RECORD_BYTES} ${seriesName(agent.number, '')}`;
      heads.set(agent, head);
    }
    return head;
  };
}

/** The numbers of the admitted agents with the highest bucket averages, highest first. */
function topNumbers(entry: Admitted): number[] {
  const best: { n: number; avg: number }[] = [];
  entry.agents.forEach((agent, i) => {
    const avg = entry.bucket.avg[entry.columns[i]!]!;
    if (best.length === TOP_PER_BUCKET && avg <= best[best.length - 1]!.avg) return;
    let at = best.length;
    while (at > 0 && best[at - 1]!.avg < avg) at--;
    best.splice(at, 0, { n: agent.number, avg });
    if (best.length > TOP_PER_BUCKET) best.pop();
  });
  return best.map((b) => b.n);
}

/** Bytes of a ring of each kind for `step`. */
export const ringBytesOf = (step: ClosedBuckets['step'], write: RingWrite): number =>
  ringBytes(step, write.recordBytes);
