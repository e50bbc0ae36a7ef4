/**
 * `GET /api/telemetry` answered mostly from JSON text already written. A closed bucket never
 * changes, so once a whole chunk of a series (`CHUNK_SLOTS` buckets of one step) lies in the past,
 * its buckets' JSON is kept and reused by every later answer that covers it; only the chunk still
 * filling (at most `CHUNK_SLOTS` buckets a series) is read from the rollups for each answer. An hour
 * at 10 s, fleet and 8 agents, is then a few string slices and one read of the newest chunk, instead
 * of 3,240 bucket reads and as many objects turned into JSON on the server's busy event loop.
 *
 * The text is exactly what the rollups would answer: chunks are written from the engine's own
 * answer, trimmed to the range and to the step's retention as the engine trims, and a chunk the
 * rollups no longer hold (its agent left to make room, or its block was reused) is dropped rather
 * than answered. Kept per series: the fleet's by its metric entry, an agent's by its agent entry
 * (an agent that leaves and comes back is a new entry, starting empty) and series row. Nothing is
 * ever invalidated, only added: old chunks leave when they pass the retention, the least recently
 * asked series when the cache is past its byte bound.
 *
 * Only answers from this process's memory are kept: with a shared archive (Redis), reads merge what
 * other processes wrote, and those go through the engine as before. So do queries that name no
 * agent (the top agents over the range are ranked anew for each range).
 */
import type { RollupEngine, TelemetryQuery } from './rollup-engine.js';
import { CHUNK_SLOTS, type StepSpec } from './steps.js';
import type { AgentEntry, MetricEntry, RollupMemory } from './rollup-memory.js';

/** JSON text the cache keeps at most (chunks of every series together). */
export const DEFAULT_CACHE_BYTES = 32 * 1024 * 1024;

/** One chunk's buckets as JSON: `text` is the buckets joined by commas, `ends[i]` where bucket i's text ends. */
interface ChunkText {
  /** Bucket indexes (bucket start / step width) present, ascending; absent buckets are gaps. */
  readonly buckets: Int32Array;
  /** Where each bucket's JSON starts and ends in `text`. */
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  readonly text: string;
}

/** The chunks kept of one series, per step (chunk index → text). */
interface SeriesText {
  /** The series row the chunks were read from (agents only; -1 for the fleet). */
  readonly row: number;
  readonly steps: Map<number, ChunkText>[];
  bytes: number;
}

type Bucket = { readonly t: number };

const FLEET_SCRATCH = new Float64Array(4);

export class TelemetryAnswerCache {
  readonly #engine: RollupEngine;
  readonly #now: () => number;
  readonly #maxBytes: number;
  readonly #fleet = new WeakMap<MetricEntry, SeriesText>();
  readonly #agents = new WeakMap<AgentEntry, Map<number, SeriesText>>();
  /** Every series kept, least recently asked first (for the byte bound). */
  readonly #recent = new Set<SeriesText>();
  #bytes = 0;

  constructor(engine: RollupEngine, now: () => number, maxBytes = DEFAULT_CACHE_BYTES) {
    this.#engine = engine;
    this.#now = now;
    this.#maxBytes = maxBytes;
  }

  /** Bytes of JSON text kept. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Whether `query` is answered here (memory only, agents named). */
  handles(query: TelemetryQuery): boolean {
    return !this.#engine.archived && query.agentIds !== undefined;
  }

  /** The answer's JSON text, the same as `JSON.stringify(await engine.query(query))`. */
  async answer(query: TelemetryQuery): Promise<string> {
    const memory = this.#engine.memory;
    const metric = memory.metrics.get(query.metric);
    const agentIds = [...new Set(query.agentIds ?? [])];
    if (!metric || this.#engine.archived) return JSON.stringify(await this.#engine.query(query));
    const { step } = query;
    const nowMs = this.#now();
    const first = Math.max(Math.floor(query.fromMs / step.stepMs), Math.ceil((nowMs - step.retentionMs) / step.stepMs));
    const last = Math.floor(query.toMs / step.stepMs);
    // Chunks that ended before now are closed for good (the engine is told to close them first).
    const sealed = Math.floor(nowMs / step.stepMs / CHUNK_SLOTS) - 1;
    const firstChunk = Math.floor(first / CHUNK_SLOTS);
    const lastSealed = Math.min(sealed, Math.floor(last / CHUNK_SLOTS));
    const fleet = this.#fleetText(metric);
    const series = agentIds.map((id) => this.#agentText(memory, id, metric));
    const parts: string[][] = [[], ...agentIds.map(() => [])];
    if (first <= last) {
      for (let chunk = firstChunk; chunk <= lastSealed; chunk++) {
        await this.#ensureChunk(query, metric, chunk, fleet, agentIds, series);
        const chunkFirst = Math.max(first, chunk * CHUNK_SLOTS);
        const chunkLast = Math.min(last, chunk * CHUNK_SLOTS + CHUNK_SLOTS - 1);
        pushSlice(parts[0]!, fleet.steps[step.index]!.get(chunk), chunkFirst, chunkLast);
        series.forEach((s, i) => pushSlice(parts[i + 1]!, s?.steps[step.index]!.get(chunk), chunkFirst, chunkLast));
      }
      this.#prune(step, first, [fleet, ...series]);
    }
    // The chunk still filling (and anything after it): read now, as the engine answers it.
    const tailFirst = Math.max(first, (lastSealed + 1) * CHUNK_SLOTS);
    if (tailFirst <= last) {
      const tail = await this.#engine.query({
        ...query,
        fromMs: Math.max(query.fromMs, tailFirst * step.stepMs),
        agentIds,
      });
      pushBuckets(parts[0]!, tail.fleet);
      agentIds.forEach((id, i) => pushBuckets(parts[i + 1]!, tail.agents[id] ?? []));
    }
    this.#bound();
    return answerText(query, step, parts[0]!, agentIds, parts.slice(1));
  }

  /** Makes sure every series of the query holds `chunk` (a sealed one), reading what is missing in one engine query. */
  async #ensureChunk(
    query: TelemetryQuery,
    metric: MetricEntry,
    chunk: number,
    fleet: SeriesText,
    agentIds: readonly string[],
    series: readonly (SeriesText | undefined)[],
  ): Promise<void> {
    const memory = this.#engine.memory;
    const { step } = query;
    const bucket0 = chunk * CHUNK_SLOTS;
    const held = (s: SeriesText, isFleet: boolean): boolean => {
      const text = s.steps[step.index]!.get(chunk);
      if (text === undefined) return false;
      // A chunk the rollups gave up since (room made for others) is not answered any more.
      if (text.buckets.length === 0 || stillHeld(memory, metric, s, step, chunk, isFleet)) return true;
      this.#drop(s, step, chunk);
      return false;
    };
    const fleetMissing = !held(fleet, true);
    const missing = agentIds.filter((_, i) => series[i] !== undefined && !held(series[i]!, false));
    if (!fleetMissing && missing.length === 0) return;
    this.#engine.advance(); // every bucket of the chunk is closed before it is written down
    const answer = await this.#engine.query({
      metric: query.metric,
      step,
      fromMs: bucket0 * step.stepMs,
      toMs: (bucket0 + CHUNK_SLOTS) * step.stepMs - 1,
      agentIds: missing,
    });
    // The memory may have changed while the query awaited nothing: kept only if the series are still the same.
    if (fleetMissing && this.#fleet.get(metric) === fleet) this.#keep(fleet, step, chunk, answer.fleet);
    agentIds.forEach((id, i) => {
      const s = series[i];
      if (s && missing.includes(id)) this.#keep(s, step, chunk, answer.agents[id] ?? []);
    });
  }

  #fleetText(metric: MetricEntry): SeriesText {
    let s = this.#fleet.get(metric);
    if (!s) this.#fleet.set(metric, (s = newSeries(-1)));
    this.#touch(s);
    return s;
  }

  /** The agent's series of `metric`, or undefined when memory holds none (its answer is then `[]`, or the tail's). */
  #agentText(memory: RollupMemory, agentId: string, metric: MetricEntry): SeriesText | undefined {
    const agent = memory.agents.get(agentId);
    const row = agent?.series.get(metric.index);
    if (agent === undefined || row === undefined) return undefined;
    let byMetric = this.#agents.get(agent);
    if (!byMetric) this.#agents.set(agent, (byMetric = new Map()));
    let s = byMetric.get(metric.index);
    if (s && s.row !== row) {
      this.#forget(s);
      s = undefined;
    }
    if (!s) byMetric.set(metric.index, (s = newSeries(row)));
    this.#touch(s);
    return s;
  }

  #keep(s: SeriesText, step: StepSpec, chunk: number, buckets: readonly Bucket[]): void {
    if (!this.#recent.has(s)) return; // forgotten meanwhile
    const text = chunkText(buckets, step.stepMs);
    s.steps[step.index]!.set(chunk, text);
    const bytes = textBytes(text);
    s.bytes += bytes;
    this.#bytes += bytes;
  }

  #drop(s: SeriesText, step: StepSpec, chunk: number): void {
    const text = s.steps[step.index]!.get(chunk);
    if (!text) return;
    s.steps[step.index]!.delete(chunk);
    const bytes = textBytes(text);
    s.bytes -= bytes;
    this.#bytes -= bytes;
  }

  /** Drops the chunks of `step` wholly before `first` (past the retention, or not asked any more). */
  #prune(step: StepSpec, first: number, series: readonly (SeriesText | undefined)[]): void {
    const oldestKept = Math.ceil((this.#now() - step.retentionMs) / step.stepMs);
    const before = Math.floor(Math.min(first, oldestKept) / CHUNK_SLOTS);
    for (const s of series) {
      if (!s) continue;
      for (const chunk of s.steps[step.index]!.keys()) if (chunk < before) this.#drop(s, step, chunk);
    }
  }

  #touch(s: SeriesText): void {
    this.#recent.delete(s);
    this.#recent.add(s);
  }

  #forget(s: SeriesText): void {
    for (const chunks of s.steps) for (const text of chunks.values()) this.#bytes -= textBytes(text);
    for (const chunks of s.steps) chunks.clear();
    s.bytes = 0;
    this.#recent.delete(s);
  }

  /** The least recently asked series leave while the cache is past its bound. */
  #bound(): void {
    for (const s of this.#recent) {
      if (this.#bytes <= this.#maxBytes) return;
      this.#forget(s);
    }
  }
}

function newSeries(row: number): SeriesText {
  return { row, steps: [new Map(), new Map(), new Map()], bytes: 0 };
}

/** Whether the rollups still hold `chunk` of the series (the cached text is theirs only while they do). */
function stillHeld(
  memory: RollupMemory,
  metric: MetricEntry,
  s: SeriesText,
  step: StepSpec,
  chunk: number,
  isFleet: boolean,
): boolean {
  if (!isFleet) return memory.rings.holdsChunk(s.row, step.index, chunk);
  const text = s.steps[step.index]!.get(chunk)!;
  return memory.fleet.read(metric.fleet, step.index, text.buckets[0]!, FLEET_SCRATCH);
}

function chunkText(buckets: readonly Bucket[], stepMs: number): ChunkText {
  const n = buckets.length;
  const indexes = new Int32Array(n);
  const starts = new Int32Array(n);
  const ends = new Int32Array(n);
  let text = '';
  for (let i = 0; i < n; i++) {
    if (i > 0) text += ',';
    indexes[i] = Math.round(buckets[i]!.t / stepMs);
    starts[i] = text.length;
    text += JSON.stringify(buckets[i]);
    ends[i] = text.length;
  }
  return { buckets: indexes, starts, ends, text };
}

function textBytes(text: ChunkText): number {
  return text.text.length * 2 + text.buckets.byteLength * 3 + 64;
}

/** Adds the chunk's buckets within `[first, last]` (one slice of its text) to `out`. */
function pushSlice(out: string[], text: ChunkText | undefined, first: number, last: number): void {
  if (!text || text.buckets.length === 0) return;
  const from = lowerBound(text.buckets, first);
  const to = lowerBound(text.buckets, last + 1) - 1;
  if (from > to) return;
  out.push(
    from === 0 && to === text.buckets.length - 1 ? text.text : text.text.slice(text.starts[from], text.ends[to]),
  );
}

function pushBuckets(out: string[], buckets: readonly Bucket[]): void {
  for (const bucket of buckets) out.push(JSON.stringify(bucket));
}

/** The first index whose bucket is ≥ `bucket`. */
function lowerBound(buckets: Int32Array, bucket: number): number {
  let lo = 0;
  let hi = buckets.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (buckets[mid]! < bucket) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The answer's JSON, keys in the order `JSON.stringify` gives the engine's answer object. */
function answerText(
  query: TelemetryQuery,
  step: StepSpec,
  fleet: readonly string[],
  agentIds: readonly string[],
  agents: readonly (readonly string[])[],
): string {
  // An object's own keys come out as the engine's answer object would list them (index-like ids
  // first, `__proto__` not at all).
  const order: Record<string, number> = {};
  agentIds.forEach((id, i) => (order[id] = i));
  const agentParts = Object.keys(order).map((id) => `${JSON.stringify(id)}:[${agents[order[id]!]!.join(',')}]`);
  const head = JSON.stringify({ metric: query.metric, step: step.step, from: query.fromMs, to: query.toMs });
  return `${head.slice(0, -1)},"fleet":[${fleet.join(',')}],"agents":{${agentParts.join(',')}}}`;
}
