/**
 * Writing closed rollup buckets to Redis, by exactly one process: the holder of the writer's
 * lease (redis-rollup-lease.ts) archives each bucket after winning its one-winner claim
 * (`nexus:once:tel:<step>:<t>`), so even two processes that both believe they hold the lease
 * (one paused past its lease) never write a bucket twice. Every process sees every telemetry
 * message through the broker and closes the same buckets; the others keep the last few seconds
 * of closed buckets, and the one that takes the lease over archives those nobody claimed, so a
 * writer's death loses at most the bucket it was writing.
 *
 * Writing never throws into the rollup engine: a failed write is reported once per outage
 * (`report`), and the bucket stays in the writer's memory.
 */
import {
  ROLLUP_AGENTS_KEY,
  ROLLUP_AGENT_IDS_KEY,
  ROLLUP_AGENT_SEQ_KEY,
  ROLLUP_HEARD_KEY,
  ROLLUP_METRICS_KEY,
  rollupFleetPrefix,
  rollupSeriesKey,
  rollupSeriesPrefix,
  rollupTopPrefix,
} from './redis-keys.js';
import { ROLLUP_STEPS, RETENTION_MS, seriesName } from './redis-rollup-layout.js';
import { RollupLedger, type KeptAgent } from './redis-rollup-ledger.js';
import { planBucket, ringBytesOf, ringWrites, type PlannedBucket, type RingWrite } from './redis-rollup-batch.js';
import { loadLedger, type AgentEntry, type LedgerCommands } from './redis-rollup-load.js';
import type { RollupScripts } from './redis-rollup-scripts.js';
import type { ClosedBuckets } from './rollup-store.js';

/** How far back the processes that do not write keep closed buckets, for a takeover. */
export const TAKEOVER_WINDOW_MS = 6_000;
/** Longest a kept agent stays in the bookkeeping without being heard: the longest retention. */
export const FORGET_AFTER_MS = RETENTION_MS['1m'];
/** The bookkeeping keys outlive the last write by the longest retention and this. */
const BOOKKEEPING_MARGIN_MS = 3_600_000;
/**
 * Writes queued at most: a few seconds of buckets. Past it (Redis answering slower than buckets
 * close) a closed bucket is not archived, so the queue and the buckets it holds stay bounded.
 */
const MAX_PENDING_WRITES = 8;
/** How long a bucket's claim lives beyond its step: past any process's takeover window. */
const CLAIM_EXTRA_MS = 60_000;

/** What the writer sends on its pipeline. */
export interface WriterPipeline {
  nexusWriteRings(...args: (string | number | Buffer)[]): WriterPipeline;
  nexusWriteSeries(...args: (string | number | Buffer)[]): WriterPipeline;
  hset(key: string, ...fieldsAndValues: string[]): WriterPipeline;
  hdel(key: string, ...fields: string[]): WriterPipeline;
  zadd(key: string, ...scoresAndMembers: string[]): WriterPipeline;
  zrem(key: string, ...members: string[]): WriterPipeline;
  del(...keys: string[]): WriterPipeline;
  pexpire(key: string, milliseconds: number): WriterPipeline;
  exec(): Promise<[error: Error | null, result: unknown][] | null>;
}

export interface WriterCommands extends LedgerCommands, Pick<RollupScripts, 'nexusWriteRings'> {
  incrby(key: string, increment: number): Promise<number>;
  pipeline(): WriterPipeline;
}

export interface RollupWriterOptions {
  readonly commands: WriterCommands;
  readonly budgetBytes: number;
  readonly now: () => number;
  readonly isUp: () => boolean;
  /** Whether this process holds the writer's lease now. */
  readonly isWriter: () => boolean;
  /** The one-winner claim of the shared state. */
  readonly claim: (name: string, ttlMs: number) => Promise<boolean>;
  /** How a write went (an error once per outage is the caller's to log). */
  readonly report: (error?: Error) => void;
}

export class RollupWriter {
  readonly #options: RollupWriterOptions;
  readonly #ledger: RollupLedger;
  /** Closed buckets of the takeover window, oldest first. */
  #recent: ClosedBuckets[] = [];
  /** The ledger as Redis holds it, loaded when this process becomes the writer. */
  #loaded: Promise<boolean> | undefined;
  /** One write at a time, in the order the buckets closed. */
  #queue: Promise<void> = Promise.resolve();
  /** Writes queued or under way. */
  #pending = 0;

  constructor(options: RollupWriterOptions) {
    this.#options = options;
    this.#ledger = new RollupLedger(options.budgetBytes);
  }

  get ledger(): RollupLedger {
    return this.#ledger;
  }

  /** Takes a closed bucket: archived when this process writes, kept for a takeover otherwise. */
  write(closed: ClosedBuckets): Promise<void> {
    this.#remember(closed);
    if (!this.#options.isWriter()) return Promise.resolve();
    if (this.#pending >= MAX_PENDING_WRITES) {
      // Redis answers slower than buckets close: this one stays in memory only.
      this.#options.report(new Error('Redis is too slow: closed buckets skipped'));
      return Promise.resolve();
    }
    return this.#enqueue(() => this.#archive(closed));
  }

  /** This process just became the writer (or stopped being it). */
  leadershipChanged(writer: boolean): void {
    const recent = writer ? [...this.#recent] : [];
    // In the queue, so a bucket being planned never sees its ledger cleared under it.
    void this.#enqueue(async () => {
      this.#loaded = undefined;
      this.#ledger.clear();
      for (const closed of recent) await this.#archive(closed);
    });
  }

  /** Waits for the writes queued so far. */
  idle(): Promise<void> {
    return this.#queue;
  }

  #enqueue(task: () => Promise<void>): Promise<void> {
    this.#pending++;
    this.#queue = this.#queue
      .then(task)
      .catch((error: unknown) => this.#options.report(error as Error))
      .finally(() => this.#pending--);
    return this.#queue;
  }

  #remember(closed: ClosedBuckets): void {
    const oldestMs = this.#options.now() - TAKEOVER_WINDOW_MS - closed.stepMs;
    this.#recent = this.#recent.filter((kept) => kept.t >= oldestMs - kept.stepMs);
    this.#recent.push(closed);
  }

  async #archive(closed: ClosedBuckets): Promise<void> {
    if (!this.#options.isWriter()) return;
    if (!this.#options.isUp()) return this.#options.report(new Error('Redis is unreachable'));
    try {
      await this.#archiveUp(closed);
    } catch (error) {
      this.#loaded = undefined; // the ledger may be ahead of Redis: read it again
      throw error;
    }
  }

  async #archiveUp(closed: ClosedBuckets): Promise<void> {
    if (!(await this.#ledgerReady())) return;
    const claimed = await this.#options.claim(`tel:${closed.step}:${closed.t}`, closed.stepMs + CLAIM_EXTRA_MS);
    if (!claimed) return;
    const plan = await planBucket(this.#ledger, closed);
    await this.#number(plan);
    const pipeline = this.#options.commands.pipeline();
    this.#forget(pipeline, plan.evicted);
    this.#remembered(pipeline, plan, closed);
    if (closed.step === '1m') this.#tidy(pipeline, closed.t);
    for (const write of await ringWrites(plan)) this.#send(pipeline, closed, plan, write);
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([error]) => error)?.[0] ?? undefined;
    // Redis holds the truth: after a write that failed, however partly, the ledger is read again.
    if (failed) this.#loaded = undefined;
    this.#options.report(failed);
  }

  /** One ring-write call: series rings grow with their agent, fleet and top rings are whole. */
  #send(pipeline: WriterPipeline, closed: ClosedBuckets, plan: PlannedBucket, write: RingWrite): void {
    const { expiryMs, refresh, slot } = plan.placement;
    const lines = write.names.join('\n');
    if (write.prefix === 'series') {
      const prefix = rollupSeriesPrefix(closed.step);
      pipeline.nexusWriteSeries(prefix, write.recordBytes, expiryMs, refresh ? '1' : '0', lines, write.records);
      return;
    }
    const prefix = (write.prefix === 'fleet' ? rollupFleetPrefix : rollupTopPrefix)(closed.step);
    const offset = slot * write.recordBytes;
    const whole = ringBytesOf(closed.step, write);
    pipeline.nexusWriteRings(
      prefix,
      offset,
      whole,
      write.recordBytes,
      expiryMs,
      refresh ? '1' : '0',
      lines,
      write.records,
    );
  }

  /** Loads the ledger once per leadership (and after a failed write); false while Redis cannot be read. */
  async #ledgerReady(): Promise<boolean> {
    this.#loaded ??= loadLedger(this.#options.commands, this.#ledger, this.#options.now()).then(
      () => true,
      (error: unknown) => {
        this.#loaded = undefined;
        this.#options.report(error as Error);
        return false;
      },
    );
    return this.#loaded;
  }

  /** Gives the agents new to the archive their numbers (one INCRBY for all of them). */
  async #number(plan: PlannedBucket): Promise<void> {
    const fresh = [...plan.places.keys()].filter((agent) => agent.number === 0);
    if (fresh.length === 0) return;
    for (const agent of fresh) plan.changed.add(agent);
    const last = await this.#options.commands.incrby(ROLLUP_AGENT_SEQ_KEY, fresh.length);
    fresh.forEach((agent, i) => (agent.number = last - fresh.length + 1 + i));
  }

  /** Deletes the rings and entries of agents pushed out by the budget. */
  #forget(pipeline: WriterPipeline, evicted: readonly KeptAgent[]): void {
    if (evicted.length === 0) return;
    const keys = evicted.flatMap((agent) =>
      [...agent.metrics].flatMap((metric) =>
        ROLLUP_STEPS.map((step) => rollupSeriesKey(step, seriesName(agent.number, metric))),
      ),
    );
    for (let i = 0; i < keys.length; i += 500) pipeline.del(...keys.slice(i, i + 500));
    pipeline.hdel(ROLLUP_AGENTS_KEY, ...evicted.map((agent) => agent.id));
    pipeline.hdel(ROLLUP_AGENT_IDS_KEY, ...evicted.map((agent) => String(agent.number)));
    pipeline.zrem(ROLLUP_HEARD_KEY, ...evicted.map((agent) => agent.id));
  }

  /**
   * Once a minute: forgets the agents and metrics silent for the longest retention (their rings are gone),
   * and keeps the bookkeeping keys alive only as long as the rings they describe.
   */
  #tidy(pipeline: WriterPipeline, nowMs: number): void {
    this.#forget(pipeline, this.#ledger.forgetHeardBefore(nowMs - FORGET_AFTER_MS));
    const silentMetrics = this.#ledger.forgetMetricsHeardBefore(nowMs - FORGET_AFTER_MS);
    if (silentMetrics.length > 0) pipeline.hdel(ROLLUP_METRICS_KEY, ...silentMetrics);
    const keys = [ROLLUP_AGENTS_KEY, ROLLUP_AGENT_IDS_KEY, ROLLUP_AGENT_SEQ_KEY, ROLLUP_HEARD_KEY, ROLLUP_METRICS_KEY];
    for (const key of keys) pipeline.pexpire(key, FORGET_AFTER_MS + BOOKKEEPING_MARGIN_MS);
  }

  /** Writes the entries of agents new or changed, when agents were heard, and the metrics' latest counts. */
  #remembered(pipeline: WriterPipeline, plan: PlannedBucket, closed: ClosedBuckets): void {
    for (const agent of plan.changed) {
      const entry: AgentEntry = { n: agent.number, m: [...agent.metrics], s: agent.sinceMs };
      pipeline.hset(ROLLUP_AGENTS_KEY, agent.id, JSON.stringify(entry));
      pipeline.hset(ROLLUP_AGENT_IDS_KEY, String(agent.number), JSON.stringify({ id: agent.id, s: agent.sinceMs }));
    }
    // When agents were heard matters at the grain of the 10 s step (and for newcomers at once).
    const heard = closed.step === '10s' ? new Set(plan.admitted.flatMap((entry) => entry.agents)) : plan.changed;
    const pairs = [...heard].flatMap((agent) => [String(agent.heardMs), agent.id]);
    for (let i = 0; i < pairs.length; i += 2000) pipeline.zadd(ROLLUP_HEARD_KEY, ...pairs.slice(i, i + 2000));
    if (closed.step !== '1s' || plan.admitted.length === 0) return;
    const counts = plan.admitted.flatMap((entry) => [
      entry.bucket.metric,
      JSON.stringify({ agents: entry.bucket.fleet.agents, t: closed.t }),
    ]);
    pipeline.hset(ROLLUP_METRICS_KEY, ...counts);
  }
}
