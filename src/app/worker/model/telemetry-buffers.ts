/**
 * Telemetry kept outside React: one ring buffer of (time, value) per agent × metric, bounded
 * by the longest time window. Frames are ingested here as they arrive; charts read from it when
 * they redraw (≈ once a second), so no message ever causes a React render by itself.
 *
 * Every name here comes from agents, which may be wrong or hostile, so it is bounded and only
 * ever used as a Map/Set key: an agent keeps its first `Limits.maxMetricsPerAgent` distinct
 * metric names, the fleet at most MAX_FLEET_METRICS, at most MAX_FLEET_AGENTS agents are kept
 * (the one seen longest ago makes room), ids and names have a length limit, and names like
 * `__proto__` are plain data.
 */
import { Limits } from '@nexus-realtime/client/protocol';

/** Longest selectable window. */
export const MAX_WINDOW_MS = 15 * 60_000;
/** Points closer than this are merged (the newest value wins), bounding memory at any rate. */
export const MIN_POINT_SPACING_MS = 500;
const CAPACITY = Math.ceil(MAX_WINDOW_MS / MIN_POINT_SPACING_MS) + 1;
/** A ring starts this small and doubles as points arrive, so a series seen once costs little. */
const INITIAL_CAPACITY = 16;

/** Numeric fields kept per agent: the first distinct names it reports; later names are ignored. */
export const MAX_METRICS_PER_AGENT = Limits.maxMetricsPerAgent;
/**
 * Distinct metric names kept for the whole fleet (a few agent kinds × 64 each). Past it, new names
 * are ignored, so a stream of made-up names cannot grow the page's memory or the metric picker.
 */
export const MAX_FLEET_METRICS = 256;
/** Longer numeric field names are not metrics here: no chart title needs more, and names cost memory. */
export const MAX_METRIC_NAME_LENGTH = 128;
/**
 * Agents kept. Past it the agent seen longest ago is forgotten for a new one, so a stream of
 * made-up agent ids (a faulty backend publishing telemetry) cannot grow the page's memory.
 */
export const MAX_FLEET_AGENTS = 2_000;
/** Telemetry with a longer `agent_id` is ignored (ids are shown on chips, legends and rows). */
export const MAX_AGENT_ID_LENGTH = 128;

/** A ring of (time, value) pairs in time order, growing up to a fixed capacity. */
export class SeriesRing {
  #times: Float64Array;
  #values: Float64Array;
  #start = 0;
  #count = 0;

  constructor(readonly capacity: number = CAPACITY) {
    const initial = Math.min(capacity, INITIAL_CAPACITY);
    this.#times = new Float64Array(initial);
    this.#values = new Float64Array(initial);
  }

  get size(): number {
    return this.#count;
  }

  push(timeMs: number, value: number): void {
    if (this.#count > 0) {
      const last = this.#index(this.#count - 1);
      if (timeMs < this.#times[last]!) return; // out of order: keep the series monotonic
      if (timeMs - this.#times[last]! < MIN_POINT_SPACING_MS) {
        this.#values[last] = value;
        return;
      }
    }
    if (this.#count === this.#times.length && this.#count < this.capacity) this.#grow();
    const index = this.#index(this.#count);
    this.#times[index] = timeMs;
    this.#values[index] = value;
    if (this.#count < this.#times.length) this.#count++;
    else this.#start = (this.#start + 1) % this.#times.length;
  }

  /** Calls `visit` for every point with time ≥ `sinceMs`, oldest first. */
  forEachSince(sinceMs: number, visit: (timeMs: number, value: number) => void): void {
    for (let i = 0; i < this.#count; i++) {
      const index = this.#index(i);
      const t = this.#times[index]!;
      if (t >= sinceMs) visit(t, this.#values[index]!);
    }
  }

  latest(): { timeMs: number; value: number } | undefined {
    if (this.#count === 0) return undefined;
    const index = this.#index(this.#count - 1);
    return { timeMs: this.#times[index]!, value: this.#values[index]! };
  }

  #index(offset: number): number {
    return (this.#start + offset) % this.#times.length;
  }

  /** Doubles the storage (up to `capacity`), unrolling the ring so it starts at 0. */
  #grow(): void {
    const size = Math.min(this.capacity, this.#times.length * 2);
    const times = new Float64Array(size);
    const values = new Float64Array(size);
    for (let i = 0; i < this.#count; i++) {
      times[i] = this.#times[this.#index(i)]!;
      values[i] = this.#values[this.#index(i)]!;
    }
    this.#times = times;
    this.#values = values;
    this.#start = 0;
  }
}

export interface AgentTelemetry {
  lastSeenMs: number;
  /** The agent's charted metrics. */
  readonly series: Map<string, SeriesRing>;
  /** Names the agent reported while the fleet's metric list was full: they use up its slots too. */
  readonly ignored: Set<string>;
}

function isMetricValue(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** Every agent's series. `ingest` reports whether the set of agents or metrics changed. */
export class TelemetryBuffers {
  readonly #agents = new Map<string, AgentTelemetry>();
  /** Insertion order = first-seen order. */
  readonly #metrics = new Set<string>();
  /** How many agents report each metric. */
  readonly #reach = new Map<string, number>();

  /** Adds one telemetry payload; returns true when the set of agents or metrics changed. */
  ingest(timeMs: number, payload: unknown): boolean {
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return false;
    const record = payload as Record<string, unknown>;
    const agentId = record.agent_id;
    if (typeof agentId !== 'string' || agentId === '' || agentId.length > MAX_AGENT_ID_LENGTH) return false;
    let changed = false;
    let agent = this.#agents.get(agentId);
    if (agent) {
      // Map order = least recently seen first: the front is what makes room.
      this.#agents.delete(agentId);
    } else {
      if (this.#agents.size >= MAX_FLEET_AGENTS) this.#forgetLeastRecent();
      agent = { lastSeenMs: timeMs, series: new Map(), ignored: new Set() };
      changed = true;
    }
    this.#agents.set(agentId, agent);
    agent.lastSeenMs = Math.max(agent.lastSeenMs, timeMs);
    // A full agent only updates what it has: the rest of a huge payload costs nothing more.
    if (isFull(agent)) updateKnown(agent, record, timeMs);
    else if (this.#ingestFields(agent, record, timeMs)) changed = true;
    return changed;
  }

  agentIds(): string[] {
    return [...this.#agents.keys()].sort();
  }

  /**
   * Every metric name, those most agents report first, then in the order first seen. The default
   * charts are the first of these: one agent sending made-up names early (or first after a
   * restart) cannot push the fleet's own metrics out of view, and among metrics reported alike a
   * new one goes last, so the charts on screen stay where they are.
   */
  metricNames(): string[] {
    return [...this.#metrics].sort((a, b) => this.#reach.get(b)! - this.#reach.get(a)!);
  }

  agent(agentId: string): AgentTelemetry | undefined {
    return this.#agents.get(agentId);
  }

  series(agentId: string, metric: string): SeriesRing | undefined {
    return this.#agents.get(agentId)?.series.get(metric);
  }

  /** The newest value of every metric of an agent (no prototype: any metric name is a plain key). */
  latest(agentId: string): Record<string, number> {
    const out = Object.create(null) as Record<string, number>;
    for (const [metric, ring] of this.#agents.get(agentId)?.series ?? []) {
      const point = ring.latest();
      if (point) out[metric] = point.value;
    }
    return out;
  }

  /** Adds the payload's numeric fields to an agent that has room; true when a metric is new. */
  #ingestFields(agent: AgentTelemetry, record: Record<string, unknown>, timeMs: number): boolean {
    let newMetric = false;
    for (const key in record) {
      if (isFull(agent)) {
        updateKnown(agent, record, timeMs);
        break;
      }
      const value = record[key];
      if (!isMetricValue(value)) continue;
      let ring = agent.series.get(key);
      if (!ring) {
        const newToFleet = !this.#metrics.has(key);
        ring = this.#track(agent, key);
        newMetric ||= ring !== undefined && newToFleet;
      }
      ring?.push(timeMs, value);
    }
    return newMetric;
  }

  /** Forgets the agent seen longest ago, and every metric nobody else reports. */
  #forgetLeastRecent(): void {
    const [agentId, agent] = this.#agents.entries().next().value!;
    this.#agents.delete(agentId);
    for (const metric of agent.series.keys()) {
      const reach = this.#reach.get(metric)! - 1;
      if (reach > 0) this.#reach.set(metric, reach);
      else {
        this.#reach.delete(metric);
        this.#metrics.delete(metric);
      }
    }
  }

  /** Forgets every agent and metric. */
  clear(): void {
    this.#agents.clear();
    this.#metrics.clear();
    this.#reach.clear();
  }

  /** Starts a series for a name new to this agent; undefined when the name is not kept. */
  #track(agent: AgentTelemetry, name: string): SeriesRing | undefined {
    if (name.length > MAX_METRIC_NAME_LENGTH || agent.ignored.has(name)) return undefined;
    if (!this.#metrics.has(name)) {
      if (this.#metrics.size >= MAX_FLEET_METRICS) {
        agent.ignored.add(name);
        return undefined;
      }
      this.#metrics.add(name);
    }
    const ring = new SeriesRing();
    agent.series.set(name, ring);
    this.#reach.set(name, (this.#reach.get(name) ?? 0) + 1);
    return ring;
  }
}

function isFull(agent: AgentTelemetry): boolean {
  return agent.series.size + agent.ignored.size >= MAX_METRICS_PER_AGENT;
}

/** Pushes the payload's values of the metrics the agent already has (at most 64 lookups). */
function updateKnown(agent: AgentTelemetry, record: Record<string, unknown>, timeMs: number): void {
  for (const [metric, ring] of agent.series) {
    const value = Object.hasOwn(record, metric) ? record[metric] : undefined;
    if (isMetricValue(value)) ring.push(timeMs, value);
  }
}
