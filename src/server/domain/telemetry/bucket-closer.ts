/**
 * Closing the open bucket of one step: each series with values in it gets its bucket written to
 * its ring, each metric its fleet bucket (min, median and max of the agents' averages, and how
 * many agents reported), and the 1 s close also the second's summary for `telemetry.fleet` (with
 * the agents whose latest values are highest). Scratch arrays are kept between closes: a close
 * allocates only what it hands out.
 *
 * A close of 10,000 agents × 6 metrics is tens of milliseconds of work, so it runs in phases:
 * `begin` takes the open buckets (and, at 1 s, adds them to the coarser steps' open buckets), then
 * `work` computes the fleet buckets a metric at a time and writes the rings a slice at a time,
 * each call until its deadline, so the caller can spread it over event-loop turns:
 *
 *   idle --begin--> fleet --(every metric done: `onClosed`)--> rings --(every row written)--> idle
 */
import type { ClosedBuckets, ClosedMetricBucket } from '../../state/index.js';
import type { AgentEntry, RollupMemory } from './rollup-memory.js';
import { median, TopK } from './selection.js';
import { Acc } from './series-table.js';
import type { BucketValues } from './series-rings.js';
import { STEPS } from './steps.js';

/** Agents named in each metric of a `telemetry.fleet` message. */
export const FLEET_TOP_AGENTS = 8;

/** One metric of a `telemetry.fleet` message. */
export interface FleetMetricSummary {
  readonly min: number;
  readonly median: number;
  readonly max: number;
  readonly agents: number;
  readonly top: { readonly agent_id: string; readonly value: number }[];
}

/** The payload of a `telemetry.fleet` message: the second that closed at `t` (its start, ms). */
export interface FleetSecond {
  readonly t: number;
  readonly metrics: Record<string, FleetMetricSummary>;
}

export interface ClosedStep {
  /** The 1 s close only, when some metric had values. */
  readonly summary?: FleetSecond;
  /** When asked for (a shared archive). */
  readonly closed?: ClosedBuckets;
}

type Phase = 'idle' | 'fleet' | 'rings';
/** Ring writes between two looks at the clock. */
const WRITES_PER_CHECK = 512;

export class BucketCloser {
  #phase: Phase = 'idle';
  #step = 0;
  #startMs = 0;
  #archive = false;
  #bucket = 0;
  /** Metric indexes grouped (`#starts` has one more), and the next one to compute. */
  #metrics = 0;
  #nextMetric = 0;
  #summary: Record<string, FleetMetricSummary> = {};
  #closed: ClosedMetricBucket[] = [];
  #written = 0;
  #toWrite = 0;
  #rowOf = new Int32Array(1024);
  #countOf = new Float64Array(1024);
  #metricOf = new Int32Array(1024);
  #avg = new Float64Array(1024);
  #last = new Float64Array(1024);
  #agentOf = new Int32Array(1024);
  /** Each row's generation when taken: a row given to another series since is skipped. */
  #generationOf = new Uint32Array(1024);
  #order = new Int32Array(1024);
  #selection = new Float64Array(1024);
  #starts = new Int32Array(0);
  readonly #top = new TopK(FLEET_TOP_AGENTS);
  readonly #values: BucketValues = { avg: 0, min: 0, max: 0, last: 0 };
  readonly #fleet = new Float64Array(4);
  #mins = new Float64Array(1024);
  #maxs = new Float64Array(1024);

  constructor(
    private readonly memory: RollupMemory,
    /** Told each close's fleet summary and archive buckets, once its fleet buckets are written. */
    private readonly onClosed: (closed: ClosedStep) => void,
  ) {}

  /**
   * Takes the open bucket of `step` starting at `startMs` (the rest of the last close is finished
   * first: the scratch is reused). The fleet buckets are computed before the series' rings are
   * written: an agent leaving to make room for a ring block loses its history, never its place in
   * the fleet bucket.
   */
  begin(step: number, startMs: number, archive: boolean): void {
    this.finish();
    const n = this.#collect(step);
    if (n === 0) return;
    this.#metrics = this.#groupByMetric(n);
    this.#phase = 'fleet';
    this.#step = step;
    this.#startMs = startMs;
    this.#archive = archive;
    this.#bucket = startMs / STEPS[step]!.stepMs;
    this.#nextMetric = 0;
    this.#summary = {};
    this.#closed = [];
    this.#written = 0;
    this.#toWrite = n;
  }

  /** Whether some of the last close is still to be done. */
  get pending(): boolean {
    return this.#phase !== 'idle';
  }

  /** Does the rest of the last close until `performance.now()` passes `deadlineMs`; whether some remains. */
  work(deadlineMs: number): boolean {
    while (this.#phase === 'fleet') {
      if (this.#nextMetric === this.#metrics) this.#fleetDone();
      else this.#fleetOf(this.#nextMetric++);
      if (performance.now() >= deadlineMs) return this.pending;
    }
    while (this.#phase === 'rings') {
      this.#writeRings(WRITES_PER_CHECK);
      if (performance.now() >= deadlineMs) break;
    }
    return this.pending;
  }

  /** Does the rest of the last close at once. */
  finish(): void {
    this.work(Infinity);
  }

  /** The fleet bucket of metric index `m` (and its summary, its archive bucket). */
  #fleetOf(m: number): void {
    const from = this.#starts[m]!;
    const to = this.#starts[m + 1]!;
    const metric = this.memory.metricsByIndex[m];
    if (from === to || metric === undefined) return;
    this.#fleetBucket(from, to);
    this.memory.fleet.write(metric.fleet, this.#step, this.#bucket, this.#fleet);
    if (this.#step === 0) this.#summary[metric.name] = this.#summaryOf(from, to);
    if (this.#archive) this.#closed.push(this.#closedMetric(metric.name, this.#startMs, from, to));
  }

  #fleetDone(): void {
    this.#phase = 'rings';
    const spec = STEPS[this.#step]!;
    const [summary, closed, t] = [this.#summary, this.#closed, this.#startMs];
    this.onClosed({
      ...(this.#step === 0 && Object.keys(summary).length > 0 ? { summary: { t, metrics: summary } } : {}),
      ...(this.#archive ? { closed: { step: spec.step, stepMs: spec.stepMs, t, metrics: closed } } : {}),
    });
  }

  /**
   * Copies every dirty series' open bucket of `step` to the scratch and empties it (at 1 s, after
   * adding it to the coarser steps' open buckets); how many.
   */
  #collect(step: number): number {
    const memory = this.memory;
    const { table, dirty } = memory;
    const list = dirty[step]!;
    this.#ensure(list.count);
    let n = 0;
    const unlisted = ~(1 << step);
    for (let i = 0; i < list.count; i++) {
      const row = list.rows[i]!;
      table.listed[row] = table.listed[row]! & unlisted;
      const at = table.accAt(row, step);
      const count = table.acc[at + Acc.Count]!;
      if (count === 0) continue; // left since
      this.#rowOf[n] = row;
      this.#countOf[n] = count;
      this.#metricOf[n] = table.metricOf[row]!;
      this.#agentOf[n] = table.agentOf[row]!;
      this.#generationOf[n] = table.generation[row]!;
      this.#avg[n] = table.acc[at + Acc.Sum]! / count;
      this.#mins[n] = table.acc[at + Acc.Min]!;
      this.#maxs[n] = table.acc[at + Acc.Max]!;
      this.#last[n] = table.acc[at + Acc.Last]!;
      if (step === 0) {
        table.fold(row);
        for (let coarser = 1; coarser < STEPS.length; coarser++) memory.markDirty(row, coarser);
      }
      table.acc[at + Acc.Sum] = 0;
      table.acc[at + Acc.Count] = 0;
      n++;
    }
    list.count = 0;
    return n;
  }

  /**
   * Writes up to `rows` of the closed buckets still waiting to the series' rings (a series that
   * left meanwhile is skipped).
   */
  #writeRings(rows: number): void {
    const { table, rings, agentsByIndex } = this.memory;
    const v = this.#values;
    const end = Math.min(this.#toWrite, this.#written + rows);
    for (let i = this.#written; i < end; i++) {
      const row = this.#rowOf[i]!;
      if (table.generation[row] !== this.#generationOf[i]) continue; // left since
      v.avg = this.#avg[i]!;
      v.min = this.#mins[i]!;
      v.max = this.#maxs[i]!;
      v.last = this.#last[i]!;
      this.memory.protect(agentsByIndex[this.#agentOf[i]!]);
      rings.write(row, this.#step, this.#bucket, v, this.#countOf[i] === 1);
    }
    this.memory.protect(undefined);
    this.#written = end;
    if (end === this.#toWrite) this.#phase = 'idle';
  }

  /** Orders the scratch entries by metric (counting sort into `#order`); the number of metric indexes. */
  #groupByMetric(n: number): number {
    const metrics = this.memory.metricsByIndex.length;
    if (this.#starts.length < metrics + 1) this.#starts = new Int32Array(metrics + 1);
    const starts = this.#starts;
    starts.fill(0, 0, metrics + 1);
    for (let i = 0; i < n; i++) starts[this.#metricOf[i]! + 1]! += 1;
    for (let m = 0; m < metrics; m++) starts[m + 1]! += starts[m]!;
    const next = Int32Array.from(starts.subarray(0, metrics));
    for (let i = 0; i < n; i++) this.#order[next[this.#metricOf[i]!]!++] = i;
    return metrics;
  }

  /** min, median, max and count of the averages of `#order[from, to)` into `#fleet`. */
  #fleetBucket(from: number, to: number): void {
    let min = Infinity;
    let max = -Infinity;
    for (let k = from; k < to; k++) {
      const avg = this.#avg[this.#order[k]!]!;
      this.#selection[k - from] = avg;
      if (avg < min) min = avg;
      if (avg > max) max = avg;
    }
    this.#fleet[0] = min;
    this.#fleet[1] = median(this.#selection, 0, to - from);
    this.#fleet[2] = max;
    this.#fleet[3] = to - from;
  }

  /** The agent of scratch entry `i`, unless its series left since it was taken. */
  #agentAt(i: number): AgentEntry | undefined {
    if (this.memory.table.generation[this.#rowOf[i]!] !== this.#generationOf[i]) return undefined;
    return this.memory.agentsByIndex[this.#agentOf[i]!];
  }

  #summaryOf(from: number, to: number): FleetMetricSummary {
    const top = this.#top;
    top.reset();
    for (let k = from; k < to; k++) top.offer(this.#order[k]!, this.#last[this.#order[k]!]!);
    const agents: { agent_id: string; value: number }[] = [];
    for (let i = 0; i < top.count; i++) {
      const agent = this.#agentAt(top.ids[i]!);
      if (agent) agents.push({ agent_id: agent.id, value: top.values[i]! });
    }
    return { min: this.#fleet[0]!, median: this.#fleet[1]!, max: this.#fleet[2]!, agents: to - from, top: agents };
  }

  #closedMetric(name: string, t: number, from: number, to: number): ClosedMetricBucket {
    const n = to - from;
    const columns = {
      avg: new Float64Array(n),
      min: new Float64Array(n),
      max: new Float64Array(n),
      last: new Float64Array(n),
    };
    const agentIds: string[] = [];
    for (let k = from; k < to; k++) {
      const i = this.#order[k]!;
      columns.avg[k - from] = this.#avg[i]!;
      columns.min[k - from] = this.#mins[i]!;
      columns.max[k - from] = this.#maxs[i]!;
      columns.last[k - from] = this.#last[i]!;
      agentIds.push(this.#agentAt(i)?.id ?? '');
    }
    const [min, median, max, agents] = this.#fleet;
    return { metric: name, fleet: { t, min: min!, median: median!, max: max!, agents: agents! }, agentIds, ...columns };
  }

  /** Grows the scratch arrays to hold `n` entries. */
  #ensure(n: number): void {
    if (this.#avg.length >= n) return;
    const size = Math.max(n, this.#avg.length * 2);
    this.#rowOf = new Int32Array(size);
    this.#countOf = new Float64Array(size);
    this.#metricOf = new Int32Array(size);
    this.#agentOf = new Int32Array(size);
    this.#generationOf = new Uint32Array(size);
    this.#order = new Int32Array(size);
    this.#avg = new Float64Array(size);
    this.#last = new Float64Array(size);
    this.#selection = new Float64Array(size);
    this.#mins = new Float64Array(size);
    this.#maxs = new Float64Array(size);
  }
}
