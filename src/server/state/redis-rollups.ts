/**
 * The rollup archive in Redis (the `RollupArchive` of rollup-store.ts): closed telemetry buckets
 * shared by every process on the same Redis, so each answers the same history, one started a
 * minute ago answers the whole retention, and the charts survive a restart of every process.
 *
 * - Layout (redis-rollup-layout.ts): one fixed-size ring per series and step, allocated whole, so
 *   Redis memory is known before it is spent; keys expire with their step's retention.
 * - Bound (redis-rollup-ledger.ts): `NEXUS_TELEMETRY_MAX_BYTES` deployment-wide, the agents heard
 *   from longest ago leaving first, the fleet rings always staying.
 * - One writer (redis-rollup-lease.ts, redis-rollup-writer.ts): the holder of a short lease, and
 *   each bucket behind a one-winner claim, so nothing is counted twice.
 * - Reads (redis-rollup-reader.ts): a few pipelined `GETRANGE`s; the engine adds its open bucket.
 *
 * Redis down or refusing writes: writes are skipped or fail quietly (reported once per outage,
 * never thrown into the engine) and reads answer nothing, so live charts go on from each
 * process's memory; `/healthz` says degraded (the broker's health).
 */
import type { Redis } from 'ioredis';
import { ROLLUP_METRICS_KEY } from './redis-keys.js';
import { RETENTION_MS } from './redis-rollup-layout.js';
import { WriterLease } from './redis-rollup-lease.js';
import { readRollups, type ReaderCommands } from './redis-rollup-reader.js';
import { defineRollupScripts, type RollupScripts } from './redis-rollup-scripts.js';
import { RollupWriter, type WriterCommands } from './redis-rollup-writer.js';
import {
  EMPTY_ROLLUP_ANSWER,
  type ArchivedMetric,
  type ClosedBuckets,
  type RollupAnswer,
  type RollupArchive,
  type RollupQuery,
} from './rollup-store.js';

/** `NEXUS_TELEMETRY_MAX_BYTES` when the composition root does not say. */
export const DEFAULT_ROLLUP_BUDGET_BYTES = 134_217_728;

export interface RedisRollupsOptions {
  readonly processId: string;
  /** The command connection (the broker's). */
  readonly commands: Redis;
  readonly now: () => number;
  readonly isUp: () => boolean;
  /** The one-winner claim of the shared state. */
  readonly claim: (name: string, ttlMs: number) => Promise<boolean>;
  /** Bytes the archive may hold in Redis, deployment-wide. */
  readonly budgetBytes?: number;
  /** Tells the broker how a write went (health follows what Redis accepts). */
  readonly wrote: (error?: Error) => void;
  /** Archive writes failing (once per outage), and working again. */
  readonly onOutage: (error: Error | undefined) => void;
  readonly leaseMs?: number;
  readonly renewMs?: number;
}

export class RedisRollupArchive implements RollupArchive {
  readonly shared = true;
  readonly #options: RedisRollupsOptions;
  readonly #lease: WriterLease;
  readonly #writer: RollupWriter;
  #failing = false;

  constructor(options: RedisRollupsOptions) {
    this.#options = options;
    defineRollupScripts(options.commands);
    const commands = options.commands as Redis & RollupScripts;
    this.#writer = new RollupWriter({
      commands: commands as unknown as WriterCommands,
      budgetBytes: options.budgetBytes ?? DEFAULT_ROLLUP_BUDGET_BYTES,
      now: options.now,
      isUp: options.isUp,
      isWriter: () => this.#lease.writer,
      claim: options.claim,
      report: (error) => this.#report(error),
    });
    this.#lease = new WriterLease({
      commands,
      owner: options.processId,
      isUp: options.isUp,
      ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
      ...(options.renewMs === undefined ? {} : { renewMs: options.renewMs }),
      onChange: (writer) => this.#writer.leadershipChanged(writer),
      onError: (error) => this.#report(error),
    });
    // No rollups at all (a budget of 0): nothing will be written, so no lease is held.
    if ((options.budgetBytes ?? DEFAULT_ROLLUP_BUDGET_BYTES) > 0) this.#lease.start();
  }

  /** Whether this process writes the deployment's closed buckets now. */
  get writing(): boolean {
    return this.#lease.writer;
  }

  /** Bytes the archive holds in Redis as the writer counts them (0 on the other processes). */
  get usedBytes(): number {
    return this.#writer.ledger.usedBytes;
  }

  write(closed: ClosedBuckets): Promise<void> {
    return this.#writer.write(closed);
  }

  async read(query: RollupQuery): Promise<RollupAnswer> {
    if (!this.#options.isUp()) return EMPTY_ROLLUP_ANSWER;
    try {
      return await readRollups(this.#options.commands as unknown as ReaderCommands, query, this.#options.now());
    } catch {
      return EMPTY_ROLLUP_ANSWER; // the engine answers from its memory
    }
  }

  async metrics(): Promise<ArchivedMetric[]> {
    if (!this.#options.isUp()) return [];
    try {
      const entries = await this.#options.commands.hgetall(ROLLUP_METRICS_KEY);
      const oldestMs = this.#options.now() - RETENTION_MS['1m'];
      return Object.entries(entries).flatMap(([metric, text]) => {
        const entry = parseMetric(text);
        return entry && entry.t >= oldestMs ? [{ metric, agents: entry.agents }] : [];
      });
    } catch {
      return [];
    }
  }

  /** Finishes the writes under way and gives the lease up, so another process writes at once. */
  async close(): Promise<void> {
    await this.#writer.idle();
    await this.#lease.stop();
  }

  /** A write's outcome: the first failure of an outage, and the first success after it, are told. */
  #report(error: Error | undefined): void {
    this.#options.wrote(error);
    if (Boolean(error) === this.#failing) return;
    this.#failing = Boolean(error);
    this.#options.onOutage(error);
  }
}

function parseMetric(text: string): { agents: number; t: number } | undefined {
  try {
    const entry = JSON.parse(text) as { agents?: unknown; t?: unknown };
    return typeof entry.agents === 'number' && typeof entry.t === 'number'
      ? { agents: entry.agents, t: entry.t }
      : undefined;
  } catch {
    return undefined;
  }
}
