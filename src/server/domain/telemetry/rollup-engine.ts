/**
 * The telemetry rollups of one process: fed by every `telemetry` message the broker hands this
 * process (every process sees all of them), closed on a timer once the clock passes a bucket's
 * end, read by `/api/telemetry`, and summarised each second for `telemetry.fleet`.
 *
 * Values are bucketed by the time this process receives them. With a shared archive (Redis),
 * every closed bucket is also handed to it (it keeps one writer per bucket) and reads merge what
 * the archive holds with this process's memory, which always holds the open buckets' past
 * seconds, so live charts never wait on the archive.
 */
import { Channel, Limits } from '@nexus-realtime/client/protocol';
import type { BrokerMessage } from '../../broker/index.js';
import type { Logger } from '../../logger.js';
import type { AgentBucket, ArchivedMetric, FleetBucket, RollupArchive } from '../../state/index.js';
import { BucketCloser, type ClosedStep, type FleetSecond } from './bucket-closer.js';
import { RollupMemory } from './rollup-memory.js';
import { readMemory, TOP_AGENTS, type BucketRange } from './rollup-reader.js';
import { STEPS, type StepSpec } from './steps.js';

/** How often the clock is checked for buckets to close. */
const CLOSE_CHECK_MS = 100;
/** Close work done per event-loop turn: other work (messages, queries) waits no longer than this. */
const CLOSE_SLICE_MS = 4;

export interface RollupEngineOptions {
  readonly maxBytes: number;
  readonly now: () => number;
  readonly archive: RollupArchive;
  readonly logger: Logger;
}

/** A query the HTTP route validated. */
export interface TelemetryQuery {
  readonly metric: string;
  readonly step: StepSpec;
  readonly fromMs: number;
  readonly toMs: number;
  readonly agentIds?: readonly string[];
}

/** The answer of `GET /api/telemetry`, buckets oldest first. */
export interface TelemetryAnswer {
  readonly metric: string;
  readonly step: string;
  readonly from: number;
  readonly to: number;
  readonly fleet: readonly FleetBucket[];
  readonly agents: Record<string, readonly AgentBucket[]>;
}

export class RollupEngine {
  readonly memory: RollupMemory;
  /** One per step: a step's close may still be going when another step closes. */
  readonly #closers: BucketCloser[];
  /**
   * Start of the bucket of each coarser step that ended but whose close has not begun: it begins a
   * turn later (its open bucket takes values only from the 1 s closes, so it waits unchanged), and
   * at the latest before the next 1 s close.
   */
  readonly #due: (number | undefined)[] = STEPS.map(() => undefined);
  #working: ReturnType<typeof setImmediate> | undefined;
  readonly #options: RollupEngineOptions;
  /** Start of the open bucket of each step, ms. */
  readonly #openMs: number[];
  readonly #secondListeners = new Set<(second: FleetSecond) => void>();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(options: RollupEngineOptions) {
    this.#options = options;
    this.memory = new RollupMemory(options.maxBytes);
    this.#closers = STEPS.map(() => new BucketCloser(this.memory, (closed) => this.#closed(closed)));
    const nowMs = options.now();
    this.#openMs = STEPS.map((s) => Math.floor(nowMs / s.stepMs) * s.stepMs);
  }

  /** Checks the clock every `CLOSE_CHECK_MS` (the timer does not keep the process alive). */
  start(): void {
    this.#timer ??= setInterval(() => this.advance(), CLOSE_CHECK_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    clearImmediate(this.#working);
    this.#working = undefined;
  }

  /** Feeds one broker message; anything but a telemetry payload with a usable `agent_id` is ignored. */
  observe(message: BrokerMessage): void {
    if (message.channel !== Channel.Telemetry) return;
    const data = message.data;
    if (typeof data !== 'object' || data === null || Array.isArray(data)) return;
    const agentId = (data as Record<string, unknown>).agent_id;
    if (typeof agentId !== 'string' || agentId.length === 0 || agentId.length > Limits.maxIdLength) return;
    const nowMs = this.#options.now();
    if (nowMs >= this.#openMs[0]! + STEPS[0]!.stepMs) this.advance();
    this.memory.observe(agentId, data as Record<string, unknown>, nowMs);
  }

  /**
   * Closes every open bucket whose end the clock has passed: the 1 s bucket's values are taken at
   * once (a value arriving after this belongs to the next second), the rest of the work is done
   * a slice per event-loop turn.
   */
  advance(): void {
    const nowMs = this.#options.now();
    for (const step of STEPS) {
      const openMs = this.#openMs[step.index]!;
      if (nowMs < openMs + step.stepMs) continue;
      if (step.index === 0) {
        this.#beginDue(true);
        this.#closers[0]!.begin(0, openMs, this.#options.archive.shared);
      } else this.#due[step.index] = openMs;
      this.#openMs[step.index] = Math.floor(nowMs / step.stepMs) * step.stepMs;
    }
    this.#work();
  }

  /** Begins the closes that are due (`all`), or the first of them (a turn's worth). */
  #beginDue(all: boolean): void {
    for (let step = 1; step < STEPS.length; step++) {
      const startMs = this.#due[step];
      if (startMs === undefined) continue;
      this.#due[step] = undefined;
      this.#closers[step]!.begin(step, startMs, this.#options.archive.shared);
      if (!all) return;
    }
  }

  /** Does close work for `CLOSE_SLICE_MS` in the next event-loop turn, and again after it while some remains. */
  #work(): void {
    if (this.#working !== undefined) return;
    this.#working = setImmediate(() => {
      this.#working = undefined;
      const deadlineMs = performance.now() + CLOSE_SLICE_MS;
      this.#beginDue(false);
      for (const closer of this.#closers) if (performance.now() < deadlineMs) closer.work(deadlineMs);
      if (this.#due.some((startMs) => startMs !== undefined) || this.#closers.some((c) => c.pending)) this.#work();
    });
  }

  /** A close's fleet buckets are written: its summary and archive buckets go out. */
  #closed({ summary, closed }: ClosedStep): void {
    if (closed)
      this.#options.archive
        .write(closed)
        .catch((error: Error) => this.#options.logger.debug({ err: error.message }, 'rollups not archived'));
    if (summary) for (const listener of this.#secondListeners) listener(summary);
  }

  /** Calls `listener` with each closed second's fleet summary (seconds with no telemetry are skipped). */
  onSecond(listener: (second: FleetSecond) => void): () => void {
    this.#secondListeners.add(listener);
    return () => this.#secondListeners.delete(listener);
  }

  /** Whether the metric is known here or in the archive. */
  async knows(metric: string): Promise<boolean> {
    if (this.memory.metrics.has(metric)) return true;
    if (!this.#options.archive.shared) return false;
    return (await this.#options.archive.metrics()).some((m) => m.metric === metric);
  }

  /** Every metric with how many agents report it, most reported first (then by name). */
  async metrics(): Promise<ArchivedMetric[]> {
    const counts = new Map<string, number>();
    if (this.#options.archive.shared)
      for (const m of await this.#options.archive.metrics()) counts.set(m.metric, m.agents);
    for (const m of this.memory.metrics.values()) counts.set(m.name, Math.max(m.series, counts.get(m.name) ?? 0));
    return [...counts]
      .map(([metric, agents]) => ({ metric, agents }))
      .sort((a, b) => b.agents - a.agents || (a.metric < b.metric ? -1 : a.metric > b.metric ? 1 : 0));
  }

  /** The rollups of one metric over a range; buckets oldest first, gaps absent. */
  async query(query: TelemetryQuery): Promise<TelemetryAnswer> {
    // Every closed bucket of the steps read (the asked one, and the coarser ones that rank agents)
    // is answered; the finer steps' pending ring writes are not this query's to wait for.
    this.#beginDue(true);
    for (const closer of this.#closers.slice(query.step.index)) closer.finish();
    const metric = this.memory.metrics.get(query.metric);
    const rangeAt = (step: StepSpec) => this.#range(step, query.fromMs, query.toMs);
    const local = metric
      ? readMemory(this.memory, { metric, step: query.step, rangeAt, agentIds: query.agentIds })
      : { fleet: [], agents: new Map<string, AgentBucket[]>() };
    const merged = this.#options.archive.shared ? await this.#withArchive(query, local) : local;
    const agents: Record<string, readonly AgentBucket[]> = {};
    for (const [agentId, buckets] of merged.agents) agents[agentId] = buckets;
    return {
      metric: query.metric,
      step: query.step.step,
      from: query.fromMs,
      to: query.toMs,
      fleet: merged.fleet,
      agents,
    };
  }

  /** Whether closed buckets also go to a shared archive (Redis), which reads then merge in. */
  get archived(): boolean {
    return this.#options.archive.shared;
  }

  /** Bytes the rollups hold (what the budget counts). */
  get usedBytes(): number {
    return this.memory.budget.usedBytes;
  }

  /** The closed buckets of `[fromMs, toMs]` at `step` still within its retention. */
  #range(step: StepSpec, fromMs: number, toMs: number): BucketRange {
    const { stepMs, retentionMs } = step;
    const openBucket = this.#openMs[step.index]! / stepMs;
    const oldestKept = Math.ceil((this.#options.now() - retentionMs) / stepMs);
    return {
      first: Math.max(Math.floor(fromMs / stepMs), oldestKept),
      last: Math.min(Math.floor(toMs / stepMs), openBucket - 1),
    };
  }

  /** The archive's buckets with this process's own filling what the archive lacks (by bucket start). */
  async #withArchive(
    query: TelemetryQuery,
    local: { fleet: readonly FleetBucket[]; agents: ReadonlyMap<string, readonly AgentBucket[]> },
  ) {
    const archived = await this.#options.archive.read({
      metric: query.metric,
      step: query.step.step,
      fromMs: query.fromMs,
      toMs: query.toMs,
      topAgents: TOP_AGENTS,
      ...(query.agentIds ? { agentIds: query.agentIds } : {}),
    });
    const agents = new Map<string, readonly AgentBucket[]>();
    const chosen = archived.agents.size > 0 || query.agentIds ? archived.agents : local.agents;
    for (const agentId of query.agentIds ?? chosen.keys())
      agents.set(agentId, byStart(archived.agents.get(agentId) ?? [], local.agents.get(agentId) ?? []));
    return { fleet: byStart(archived.fleet, local.fleet), agents };
  }
}

/** Buckets of both lists by start, oldest first; `first` wins where both have one. */
function byStart<T extends { readonly t: number }>(first: readonly T[], second: readonly T[]): T[] {
  const merged = new Map<number, T>();
  for (const bucket of second) merged.set(bucket.t, bucket);
  for (const bucket of first) merged.set(bucket.t, bucket);
  return [...merged.values()].sort((a, b) => a.t - b.t);
}
