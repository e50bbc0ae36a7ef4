/**
 * `telemetry.fleet` as it arrives, once a second: per metric the fleet's band (min, median, max),
 * how many agents report it, and the top agents' values — the charts' live band and top lines at
 * any fleet size, without a raw message per agent. Bounded like the raw buffers: rings of
 * MAX_WINDOW_MS per metric, at most MAX_FLEET_METRICS metrics; the top agents' values are kept in
 * a TelemetryBuffers of their own (bounded the same way).
 */
import { SeriesRing, TelemetryBuffers, MAX_FLEET_METRICS } from './telemetry-buffers';

export interface FleetMetricLive {
  readonly min: SeriesRing;
  readonly median: SeriesRing;
  readonly max: SeriesRing;
  /** Agents reporting the metric in the newest second. */
  agents: number;
  /** The newest second's top agents, highest first. */
  top: readonly string[];
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** An agent stays drawn as a top line while it was among a metric's top within this long. */
export const TOP_STICKY_MS = 30_000;
const TOP_LINES = 8;

export class FleetHistory {
  readonly #metrics = new Map<string, FleetMetricLive>();
  /** Per metric, the top agents drawn as lines, kept from second to second (see `drawnTop`). */
  readonly #drawn = new Map<string, string[]>();
  /** Values of agents while they were among a metric's top. */
  readonly topValues = new TelemetryBuffers();
  /** When the newest fleet message arrived (0: never). */
  receivedAtMs = 0;

  /** One `telemetry.fleet` message: `{t, metrics: {name: {min, median, max, agents, top}}}`. */
  ingest(data: unknown, receivedAtMs: number): void {
    if (typeof data !== 'object' || data === null) return;
    const { t, metrics } = data as { t?: unknown; metrics?: unknown };
    if (!isNumber(t) || typeof metrics !== 'object' || metrics === null) return;
    this.receivedAtMs = receivedAtMs;
    for (const [metric, summary] of Object.entries(metrics as Record<string, unknown>))
      this.#ingestMetric(t, metric, summary);
  }

  #ingestMetric(t: number, metric: string, summary: unknown): void {
    if (typeof summary !== 'object' || summary === null) return;
    const { min, median, max, agents, top } = summary as Record<string, unknown>;
    if (!isNumber(min) || !isNumber(median) || !isNumber(max)) return;
    let live = this.#metrics.get(metric);
    if (!live) {
      if (this.#metrics.size >= MAX_FLEET_METRICS) return;
      live = { min: new SeriesRing(), median: new SeriesRing(), max: new SeriesRing(), agents: 0, top: [] };
      this.#metrics.set(metric, live);
    }
    live.min.push(t, min);
    live.median.push(t, median);
    live.max.push(t, max);
    live.agents = isNumber(agents) ? agents : 0;
    const ids: string[] = [];
    for (const entry of Array.isArray(top) ? top.slice(0, 8) : []) {
      const { agent_id: agentId, value } = (entry ?? {}) as { agent_id?: unknown; value?: unknown };
      if (typeof agentId !== 'string' || !isNumber(value)) continue;
      ids.push(agentId);
      this.topValues.ingest(t, { agent_id: agentId, [metric]: value });
    }
    live.top = ids;
  }

  metric(metric: string): FleetMetricLive | undefined {
    return this.#metrics.get(metric);
  }

  /**
   * The agents with the highest latest values, drawn as lines — steadily: an agent drawn stays
   * while it was in the top within TOP_STICKY_MS, and only a free place takes the newest top's
   * next agent, so lines (and their colours, by place) do not change from one second to the next
   * as values cross. Times are the summaries' own (the server's clock).
   */
  drawnTop(metric: string): string[] {
    const live = this.#metrics.get(metric);
    const nowMs = live?.median.latest()?.timeMs;
    if (!live || nowMs === undefined || live.top.length === 0) return [];
    const stillTop = (agentId: string) => {
      const seenMs = this.topValues.series(agentId, metric)?.latest()?.timeMs;
      return seenMs !== undefined && nowMs - seenMs <= TOP_STICKY_MS;
    };
    const kept = (this.#drawn.get(metric) ?? []).filter(stillTop);
    for (const agentId of live.top) if (kept.length < TOP_LINES && !kept.includes(agentId)) kept.push(agentId);
    this.#drawn.set(metric, kept);
    return kept;
  }

  /** The metrics summarised, most widely reported first. */
  metricNames(): string[] {
    return [...this.#metrics.entries()].sort((a, b) => b[1].agents - a[1].agents).map(([metric]) => metric);
  }

  /** Agents reporting the most widely reported metric in the newest second. */
  fleetSize(): number {
    let size = 0;
    for (const live of this.#metrics.values()) size = Math.max(size, live.agents);
    return size;
  }
}
