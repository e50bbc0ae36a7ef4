/**
 * The writer's account of what the archive holds in Redis, and the byte budget
 * (`NEXUS_TELEMETRY_MAX_BYTES`, deployment-wide): which agents are kept, which of their metrics
 * have rings and how long those rings are, which metrics have fleet rings, and what all of it
 * costs as Redis allocates it (a ring's cost follows from its length, known before it is written).
 *
 * Past the budget the agents heard from longest ago leave first, whole; a newcomer, or a ring
 * growing, never pushes out an agent heard as recently (so a fleet larger than the budget keeps a
 * stable set instead of churning every second). Fleet rings always stay: a new metric may push
 * agents out, never another metric. Only the writer holds a ledger, loaded from Redis when it
 * takes over.
 */
import { rollupFleetKey, rollupSeriesKey, rollupTopKey } from './redis-keys.js';
import {
  FLEET_RECORD_BYTES,
  ROLLUP_STEPS,
  SERIES_RECORD_BYTES,
  TOP_RECORD_BYTES,
  allocatedBytes,
  ringBytes,
  seriesName,
} from './redis-rollup-layout.js';

/** An agent kept in Redis. `number` is 0 until the writer numbered it. */
export interface KeptAgent {
  readonly id: string;
  number: number;
  readonly metrics: Set<string>;
  heardMs: number;
  /** When it was first kept: its series rings start there. */
  readonly sinceMs: number;
  /** Records each of its series rings holds, per step (index of ROLLUP_STEPS). */
  readonly records: number[];
  /** What its rings and bookkeeping cost in Redis. */
  bytes: number;
}

/** Bookkeeping of an agent besides its rings: its hash fields and its sorted-set entry. */
const AGENT_ENTRY_BYTES = 256;
/** Bookkeeping of a metric besides its rings: its hash field. */
const METRIC_ENTRY_BYTES = 128;
/** A number large enough for any agent number's key length. */
const COSTING_NUMBER = 4_000_000_000;

/** Ring costs already worked out: `<step>:<records>:<metric>` → bytes (a few per metric and step). */
const ringCosts = new Map<string, number>();
const MAX_CACHED_COSTS = 100_000;

/** What one series ring of `records` records costs in Redis (nothing when it holds none). */
function ringCost(stepIndex: number, metric: string, records: number): number {
  if (records === 0) return 0;
  const cacheKey = `${stepIndex}:${records}:${metric}`;
  const cached = ringCosts.get(cacheKey);
  if (cached !== undefined) return cached;
  const key = rollupSeriesKey(ROLLUP_STEPS[stepIndex]!, seriesName(COSTING_NUMBER, metric));
  const bytes = allocatedBytes(records * SERIES_RECORD_BYTES, key.length);
  if (ringCosts.size >= MAX_CACHED_COSTS) ringCosts.clear();
  ringCosts.set(cacheKey, bytes);
  return bytes;
}

/** An admission that changed nothing (shared: never modified). */
const UNCHANGED: Admission<boolean> = Object.freeze({ admitted: true, evicted: Object.freeze([]) });

/** What one agent's one metric costs in Redis with rings of `records` records per step. */
export function seriesBytes(metric: string, records: readonly number[]): number {
  return records.reduce((sum, count, step) => sum + ringCost(step, metric, count), metric.length + 3);
}

/** What one metric's fleet costs in Redis (three fleet rings, three top rings, its hash field). */
export function metricBytes(metric: string): number {
  let bytes = METRIC_ENTRY_BYTES + metric.length;
  for (const step of ROLLUP_STEPS) {
    bytes += allocatedBytes(ringBytes(step, FLEET_RECORD_BYTES), rollupFleetKey(step, metric).length);
    bytes += allocatedBytes(ringBytes(step, TOP_RECORD_BYTES), rollupTopKey(step, metric).length);
  }
  return bytes;
}

/** What an admission decided, and the agents it pushed out (their keys must go). */
export interface Admission<T> {
  readonly admitted: T;
  readonly evicted: readonly KeptAgent[];
}

const NONE: readonly KeptAgent[] = Object.freeze([]);

export class RollupLedger {
  /** Kept agents, heard from longest ago first (re-inserted when heard). */
  readonly #agents = new Map<string, KeptAgent>();
  /** Metrics with fleet rings → when each was last heard. */
  readonly #metrics = new Map<string, number>();
  #usedBytes = 0;

  constructor(readonly budgetBytes: number) {}

  get usedBytes(): number {
    return this.#usedBytes;
  }

  agent(id: string): KeptAgent | undefined {
    return this.#agents.get(id);
  }

  /** Forgets everything (Redis lost it, or another process writes now). */
  clear(): void {
    this.#agents.clear();
    this.#metrics.clear();
    this.#usedBytes = 0;
  }

  /** Takes over what Redis holds. */
  load(agents: readonly Omit<KeptAgent, 'bytes'>[], metrics: ReadonlyMap<string, number>): void {
    this.clear();
    for (const [metric, heardMs] of metrics) this.#addMetric(metric, heardMs);
    for (const agent of [...agents].sort((a, b) => a.heardMs - b.heardMs)) {
      const kept: KeptAgent = { ...agent, bytes: AGENT_ENTRY_BYTES + agent.id.length };
      for (const metric of kept.metrics) kept.bytes += seriesBytes(metric, kept.records);
      this.#agents.set(kept.id, kept);
      this.#usedBytes += kept.bytes;
    }
  }

  /** Makes room for a metric's fleet rings, pushing out agents heard before `heardMs` if need be. */
  admitMetric(metric: string, heardMs: number): Admission<boolean> {
    const known = this.#metrics.get(metric);
    if (known !== undefined) {
      if (heardMs > known) this.#metrics.set(metric, heardMs);
      return UNCHANGED;
    }
    const bytes = metricBytes(metric);
    const evicted = this.#makeRoom(bytes, heardMs, undefined);
    const admitted = this.#usedBytes + bytes <= this.budgetBytes;
    if (admitted) this.#addMetric(metric, heardMs);
    return { admitted, evicted };
  }

  /**
   * Makes room for an agent's metric heard in the bucket starting at `heardMs` (its rings as long
   * as the agent's other rings): `admitted` is the agent, or undefined when it does not fit
   * without pushing out an agent heard as recently.
   */
  admitSeries(id: string, metric: string, heardMs: number): Admission<KeptAgent | undefined> {
    const known = this.#agents.get(id);
    if (known?.metrics.has(metric)) return { admitted: this.touch(known, heardMs), evicted: NONE };
    const records = known?.records ?? ROLLUP_STEPS.map(() => 0);
    const cost = seriesBytes(metric, records) + (known ? 0 : AGENT_ENTRY_BYTES + id.length);
    const evicted = this.#makeRoom(cost, heardMs, id);
    if (this.#usedBytes + cost > this.budgetBytes) return { admitted: undefined, evicted };
    const agent = known ?? { id, number: 0, metrics: new Set<string>(), heardMs, sinceMs: heardMs, records, bytes: 0 };
    agent.metrics.add(metric);
    agent.bytes += cost;
    this.#usedBytes += cost;
    this.#agents.delete(id);
    this.#agents.set(id, agent);
    return { admitted: this.touch(agent, heardMs), evicted };
  }

  /**
   * Makes room for the series rings of `agent` at `stepIndex` to hold `records` records, pushing
   * out agents heard before it. When they cannot grow, the agent itself leaves (in `evicted`).
   */
  grow(agent: KeptAgent, stepIndex: number, records: number): Admission<boolean> {
    const held = agent.records[stepIndex]!;
    if (records <= held) return UNCHANGED;
    let bytes = 0;
    for (const metric of agent.metrics)
      bytes += ringCost(stepIndex, metric, records) - ringCost(stepIndex, metric, held);
    const evicted = this.#makeRoom(bytes, agent.heardMs, agent.id);
    if (this.#usedBytes + bytes > this.budgetBytes) {
      this.#remove(agent);
      return { admitted: false, evicted: [...evicted, agent] };
    }
    agent.records[stepIndex] = records;
    agent.bytes += bytes;
    this.#usedBytes += bytes;
    return { admitted: true, evicted };
  }

  /** Forgets the metrics last heard before `beforeMs` (their fleet rings have expired); returns them. */
  forgetMetricsHeardBefore(beforeMs: number): string[] {
    const silent = [...this.#metrics].filter(([, heardMs]) => heardMs < beforeMs).map(([metric]) => metric);
    for (const metric of silent) {
      this.#metrics.delete(metric);
      this.#usedBytes -= metricBytes(metric);
    }
    return silent;
  }

  /** Forgets the agents last heard before `beforeMs` (their rings have expired); returns them. */
  forgetHeardBefore(beforeMs: number): KeptAgent[] {
    const silent: KeptAgent[] = [];
    for (const oldest of this.#agents.values()) {
      if (oldest.heardMs >= beforeMs) break;
      silent.push(oldest);
    }
    for (const agent of silent) this.#remove(agent);
    return silent;
  }

  /** Notes that `agent` was heard in the bucket starting at `heardMs`. */
  touch(agent: KeptAgent, heardMs: number): KeptAgent {
    if (heardMs <= agent.heardMs) return agent;
    agent.heardMs = heardMs;
    this.#agents.delete(agent.id);
    this.#agents.set(agent.id, agent);
    return agent;
  }

  #addMetric(metric: string, heardMs: number): void {
    this.#metrics.set(metric, heardMs);
    this.#usedBytes += metricBytes(metric);
  }

  #remove(agent: KeptAgent): void {
    if (this.#agents.get(agent.id) !== agent) return;
    this.#agents.delete(agent.id);
    this.#usedBytes -= agent.bytes;
  }

  /** Pushes out agents heard before `heardMs` (never `keep`) until `bytes` more fit. */
  #makeRoom(bytes: number, heardMs: number, keep: string | undefined): KeptAgent[] {
    const evicted: KeptAgent[] = [];
    for (const oldest of this.#agents.values()) {
      if (this.#usedBytes + bytes <= this.budgetBytes || oldest.heardMs >= heardMs) break;
      if (oldest.id === keep) continue;
      this.#remove(oldest);
      evicted.push(oldest);
    }
    return evicted;
  }
}
