/**
 * Telemetry kept outside React: one ring buffer of (time, value) per agent × metric, bounded
 * by the longest time window. Frames are ingested here as they arrive; charts read from it when
 * they redraw (≈ once a second), so no message ever causes a React render by itself.
 */

/** Longest selectable window. */
export const MAX_WINDOW_MS = 15 * 60_000;
/** Points closer than this are merged (the newest value wins), bounding memory at any rate. */
export const MIN_POINT_SPACING_MS = 500;
const CAPACITY = Math.ceil(MAX_WINDOW_MS / MIN_POINT_SPACING_MS) + 1;

/** A fixed-size ring of (time, value) pairs in time order. */
export class SeriesRing {
  readonly #times: Float64Array;
  readonly #values: Float64Array;
  #start = 0;
  #count = 0;

  constructor(readonly capacity: number = CAPACITY) {
    this.#times = new Float64Array(capacity);
    this.#values = new Float64Array(capacity);
  }

  get size(): number {
    return this.#count;
  }

  push(timeMs: number, value: number): void {
    if (this.#count > 0) {
      const last = (this.#start + this.#count - 1) % this.capacity;
      if (timeMs < this.#times[last]!) return; // out of order: keep the series monotonic
      if (timeMs - this.#times[last]! < MIN_POINT_SPACING_MS) {
        this.#values[last] = value;
        return;
      }
    }
    const index = (this.#start + this.#count) % this.capacity;
    this.#times[index] = timeMs;
    this.#values[index] = value;
    if (this.#count < this.capacity) this.#count++;
    else this.#start = (this.#start + 1) % this.capacity;
  }

  /** Calls `visit` for every point with time ≥ `sinceMs`, oldest first. */
  forEachSince(sinceMs: number, visit: (timeMs: number, value: number) => void): void {
    for (let i = 0; i < this.#count; i++) {
      const index = (this.#start + i) % this.capacity;
      const t = this.#times[index]!;
      if (t >= sinceMs) visit(t, this.#values[index]!);
    }
  }

  latest(): { timeMs: number; value: number } | undefined {
    if (this.#count === 0) return undefined;
    const index = (this.#start + this.#count - 1) % this.capacity;
    return { timeMs: this.#times[index]!, value: this.#values[index]! };
  }
}

export interface AgentTelemetry {
  lastSeenMs: number;
  readonly series: Map<string, SeriesRing>;
}

/** Every agent's series. `ingest` reports whether the set of agents or metrics changed. */
export class TelemetryBuffers {
  readonly #agents = new Map<string, AgentTelemetry>();
  readonly #metrics = new Set<string>();

  /** Adds one telemetry payload; returns true when a new agent or metric appeared. */
  ingest(timeMs: number, payload: unknown): boolean {
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return false;
    const record = payload as Record<string, unknown>;
    const agentId = record.agent_id;
    if (typeof agentId !== 'string' || agentId === '') return false;
    let changed = false;
    let agent = this.#agents.get(agentId);
    if (!agent) {
      agent = { lastSeenMs: timeMs, series: new Map() };
      this.#agents.set(agentId, agent);
      changed = true;
    }
    agent.lastSeenMs = Math.max(agent.lastSeenMs, timeMs);
    for (const key in record) {
      const value = record[key];
      if (typeof value !== 'number' || !Number.isFinite(value)) continue;
      let ring = agent.series.get(key);
      if (!ring) {
        ring = new SeriesRing();
        agent.series.set(key, ring);
        if (!this.#metrics.has(key)) {
          this.#metrics.add(key);
          changed = true;
        }
      }
      ring.push(timeMs, value);
    }
    return changed;
  }

  agentIds(): string[] {
    return [...this.#agents.keys()].sort();
  }

  metricNames(): string[] {
    return [...this.#metrics].sort();
  }

  agent(agentId: string): AgentTelemetry | undefined {
    return this.#agents.get(agentId);
  }

  series(agentId: string, metric: string): SeriesRing | undefined {
    return this.#agents.get(agentId)?.series.get(metric);
  }

  /** The newest value of every metric of an agent. */
  latest(agentId: string): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [metric, ring] of this.#agents.get(agentId)?.series ?? []) {
      const point = ring.latest();
      if (point) out[metric] = point.value;
    }
    return out;
  }
}
