/**
 * Background upkeep of the Redis broker, one tick per interval, each tick bounded:
 * - a tiny write (a key of this process that expires by itself) probes whether Redis takes
 *   writes, so a refusal (out of memory, read-only replica) shows in health without waiting for
 *   a publish, and so does its end;
 * - the expiry of the watched channels' hashes is refreshed, a slice per tick, so that each one
 *   is refreshed a few times per TTL: a channel someone listens to keeps its numbering and epoch
 *   even when nobody publishes for longer than the TTL (its aged history still goes).
 */
import { channelKey, probeKey } from '../state/index.js';

/** What the upkeep needs of the command connection. */
interface UpkeepConnection {
  set(key: string, value: string, unit: 'PX', milliseconds: number): Promise<unknown>;
  pipeline(): { pexpire(key: string, milliseconds: number): unknown; exec(): Promise<unknown> };
}

export interface UpkeepOptions {
  readonly processId: string;
  readonly ttlMs: number;
  readonly intervalMs: number;
  readonly now: () => number;
  /** The watched channels (a live view; only the keys are read). */
  readonly watched: ReadonlyMap<string, unknown>;
  readonly isUp: () => boolean;
  /** The probe's outcome: undefined when Redis took the write. */
  readonly onProbe: (error: Error | undefined) => void;
  readonly onError: (error: Error) => void;
}

const DEFAULT_INTERVAL_MS = 1000;
/** Watched channels' expiry is refreshed this many times per TTL. */
const REFRESHES_PER_TTL = 3;
const MAX_REFRESH_BATCH = 2000;

/** A tick a few times per TTL, at most once a second. */
export function defaultUpkeepIntervalMs(ttlMs: number): number {
  return Math.max(10, Math.min(DEFAULT_INTERVAL_MS, ttlMs / 4));
}

export class RedisUpkeep {
  readonly #timer: NodeJS.Timeout;
  #running = false;
  #cursor: Iterator<string> | undefined;

  constructor(
    private readonly connection: UpkeepConnection,
    private readonly options: UpkeepOptions,
  ) {
    this.#timer = setInterval(() => void this.tick(), options.intervalMs);
    this.#timer.unref();
  }

  /** One round of upkeep (skipped while Redis is down or the previous round still runs). */
  async tick(): Promise<void> {
    if (this.#running || !this.options.isUp()) return;
    this.#running = true;
    try {
      await Promise.all([this.#probe(), this.#refreshWatched()]);
    } finally {
      this.#running = false;
    }
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async #probe(): Promise<void> {
    const { processId, intervalMs, now, onProbe } = this.options;
    try {
      await this.connection.set(probeKey(processId), String(now()), 'PX', intervalMs * 5);
      onProbe(undefined);
    } catch (error) {
      onProbe(error as Error);
    }
  }

  async #refreshWatched(): Promise<void> {
    const { watched, ttlMs, intervalMs } = this.options;
    const perTick = Math.ceil((watched.size * intervalMs * REFRESHES_PER_TTL) / ttlMs);
    const count = Math.min(perTick, MAX_REFRESH_BATCH, watched.size);
    const batch: string[] = [];
    let wrapped = false;
    while (batch.length < count) {
      this.#cursor ??= watched.keys();
      const next = this.#cursor.next();
      if (!next.done) batch.push(next.value);
      else if (wrapped) break;
      else [this.#cursor, wrapped] = [undefined, true];
    }
    if (batch.length === 0) return;
    const pipeline = this.connection.pipeline();
    for (const channel of batch) pipeline.pexpire(channelKey(channel), ttlMs);
    await pipeline.exec().catch((error: Error) => this.options.onError(error));
  }
}
