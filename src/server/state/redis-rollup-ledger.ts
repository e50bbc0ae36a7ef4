/**
 * The writer's account of what the archive holds in Redis, and the byte budget
 * (`NEXUS_TELEMETRY_MAX_BYTES`, deployment-wide): which agents are kept, which of their metrics
 * have rings, which metrics have fleet rings, and what all of it costs as Redis allocates it
 * (rings are allocated whole, so the cost of a series is known before its first write).
 *
 * Past the budget the agents heard from longest ago leave first, whole; a newcomer never pushes
 * out an agent heard in the same bucket (so a fleet larger than the budget keeps a stable set
 * instead of churning every second). Fleet rings always stay: a new metric may push agents out,
 * never another metric. Only the writer holds a ledger, loaded from Redis when it takes over.
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
  /** What its rings and bookkeeping cost in Redis. */
  bytes: number;
}

/** Bookkeeping of an agent besides its rings: its hash fields and its sorted-set entry. */
const AGENT_ENTRY_BYTES = 256;
/** Bookkeeping of a metric besides its rings: its hash field. */
const METRIC_ENTRY_BYTES = 128;

/** What one agent's one metric costs in Redis (three rings, plus its name in the agent's entry). */
export function seriesBytes(agentNumber: number, metric: string): number {
  let bytes = metric.length + 3;
  for (const step of ROLLUP_STEPS)
    bytes += allocatedBytes(
      ringBytes(step, SERIES_RECORD_BYTES),
      rollupSeriesKey(step, seriesName(agentNumber, metric)).length,
    );
  return bytes;
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

/** A number large enough for any agent number's key length. */
const COSTING_NUMBER = 4_000_000_000;

export class RollupLedger {
  /** Kept agents, heard from longest ago first (re-inserted when heard). */
  readonly #agents = new Map<string, KeptAgent>();
  readonly #metrics = new Set<string>();
  #usedBytes = 0;

  constructor(readonly budgetBytes: number) {}

  get usedBytes(): number {
    return this.#usedBytes;
  }

  agent(id: string): KeptAgent | undefined {
    return this.#agents.get(id);
  }

  hasMetric(metric: string): boolean {
    return this.#metrics.has(metric);
  }

  /** Forgets everything (Redis lost it, or another process writes now). */
  clear(): void {
    this.#agents.clear();
    this.#metrics.clear();
    this.#usedBytes = 0;
  }

  /** Takes over what Redis holds: agents heard from longest ago first. */
  load(agents: readonly Omit<KeptAgent, 'bytes'>[], metrics: readonly string[]): void {
    this.clear();
    for (const metric of metrics) this.#addMetric(metric);
    const byHeard = [...agents].sort((a, b) => a.heardMs - b.heardMs);
    for (const agent of byHeard) {
      const kept: KeptAgent = { ...agent, metrics: new Set(agent.metrics), bytes: AGENT_ENTRY_BYTES + agent.id.length };
      for (const metric of kept.metrics) kept.bytes += seriesBytes(COSTING_NUMBER, metric);
      this.#agents.set(kept.id, kept);
      this.#usedBytes += kept.bytes;
    }
  }

  /**
   * Makes room for a metric's fleet rings, pushing out agents heard before `heardMs` if need be.
   * `evicted`: the agents pushed out (their keys must go), even when the fleet did not fit.
   */
  admitMetric(metric: string, heardMs: number): Admission<boolean> {
    if (this.#metrics.has(metric)) return { admitted: true, evicted: [] };
    const bytes = metricBytes(metric);
    const evicted = this.#makeRoom(bytes, heardMs, undefined);
    const admitted = this.#usedBytes + bytes <= this.budgetBytes;
    if (admitted) this.#addMetric(metric);
    return { admitted, evicted };
  }

  /**
   * Makes room for an agent's metric heard in the bucket starting at `heardMs`: `admitted` is the
   * agent, or undefined when it does not fit without pushing out an agent heard as recently.
   */
  admitSeries(id: string, metric: string, heardMs: number): Admission<KeptAgent | undefined> {
    const known = this.#agents.get(id);
    if (known?.metrics.has(metric)) return { admitted: this.touch(known, heardMs), evicted: [] };
    const cost = seriesBytes(COSTING_NUMBER, metric) + (known ? 0 : AGENT_ENTRY_BYTES + id.length);
    const evicted = this.#makeRoom(cost, heardMs, id);
    if (this.#usedBytes + cost > this.budgetBytes) return { admitted: undefined, evicted };
    const agent = known ?? { id, number: 0, metrics: new Set<string>(), heardMs, bytes: 0 };
    agent.metrics.add(metric);
    agent.bytes += cost;
    this.#usedBytes += cost;
    this.#agents.delete(id);
    this.#agents.set(id, agent);
    return { admitted: this.touch(agent, heardMs), evicted };
  }

  /** Notes that `agent` was heard in the bucket starting at `heardMs`. */
  touch(agent: KeptAgent, heardMs: number): KeptAgent {
    if (heardMs <= agent.heardMs) return agent;
    agent.heardMs = heardMs;
    this.#agents.delete(agent.id);
    this.#agents.set(agent.id, agent);
    return agent;
  }

  #addMetric(metric: string): void {
    this.#metrics.add(metric);
    this.#usedBytes += metricBytes(metric);
  }

  /** Pushes out agents heard before `heardMs` (never `keep`) until `bytes` more fit. */
  #makeRoom(bytes: number, heardMs: number, keep: string | undefined): KeptAgent[] {
    const evicted: KeptAgent[] = [];
    for (const oldest of this.#agents.values()) {
      if (this.#usedBytes + bytes <= this.budgetBytes || oldest.heardMs >= heardMs) break;
      if (oldest.id === keep) continue;
      this.#agents.delete(oldest.id);
      this.#usedBytes -= oldest.bytes;
      evicted.push(oldest);
    }
    return evicted;
  }
}

/** What an admission decided, and the agents it pushed out (their keys must go). */
export interface Admission<T> {
  readonly admitted: T;
  readonly evicted: KeptAgent[];
}
