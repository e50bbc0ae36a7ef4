/**
 * The rollup writer's lease: one process of the deployment holds `nexus:tel:writer` (SET NX PX)
 * and renews it every `renewMs`; when it dies or loses Redis, the lease runs out after `leaseMs`
 * and the next process that asks takes it. A holder counts itself the writer only until its
 * last successful renewal plus the lease, less a margin, so two processes never both believe it
 * for long; the per-bucket claim makes even that overlap harmless (redis-rollup-writer.ts).
 * The lease runs on the real monotonic clock, as Redis's expiry does, whatever clock the
 * buckets follow.
 */
import { performance } from 'node:perf_hooks';
import { ROLLUP_WRITER_KEY } from './redis-keys.js';
import type { RollupScripts } from './redis-rollup-scripts.js';

export const DEFAULT_LEASE_MS = 3000;
export const DEFAULT_RENEW_MS = 1000;

export interface WriterLeaseOptions {
  readonly commands: Pick<RollupScripts, 'nexusHoldLease' | 'nexusReleaseLease'>;
  readonly owner: string;
  readonly isUp: () => boolean;
  readonly leaseMs?: number;
  readonly renewMs?: number;
  /** Called when this process becomes the writer (it may have missed buckets) or stops being it. */
  readonly onChange: (writer: boolean) => void;
  readonly onError: (error: Error) => void;
}

export class WriterLease {
  readonly #options: WriterLeaseOptions;
  readonly #leaseMs: number;
  #heldUntilMs = 0;
  #writer = false;
  #timer: NodeJS.Timeout | undefined;
  #pending: Promise<void> | undefined;

  constructor(options: WriterLeaseOptions) {
    this.#options = options;
    this.#leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  }

  /** Whether this process writes closed buckets now. */
  get writer(): boolean {
    if (this.#writer && performance.now() >= this.#heldUntilMs) this.#set(false);
    return this.#writer;
  }

  start(): void {
    if (this.#timer) return;
    void this.tick();
    this.#timer = setInterval(() => void this.tick(), this.#options.renewMs ?? DEFAULT_RENEW_MS);
    this.#timer.unref();
  }

  /** Takes or renews the lease once (one at a time). */
  tick(): Promise<void> {
    this.#pending ??= this.#hold().finally(() => (this.#pending = undefined));
    return this.#pending;
  }

  /** Stops renewing and gives the lease up, so another process takes over at once. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#pending;
    const held = this.#writer;
    this.#set(false);
    if (!held || !this.#options.isUp()) return;
    await this.#options.commands.nexusReleaseLease(ROLLUP_WRITER_KEY, this.#options.owner).catch(() => 0);
  }

  async #hold(): Promise<void> {
    if (!this.#options.isUp()) {
      void this.writer; // runs out by itself
      return;
    }
    const askedAtMs = performance.now();
    try {
      const held = await this.#options.commands.nexusHoldLease(ROLLUP_WRITER_KEY, this.#options.owner, this.#leaseMs);
      if (held > 0) this.#heldUntilMs = askedAtMs + this.#leaseMs - this.#leaseMs / 3;
      if (held === 2) this.#set(false); // taken afresh: start over from what Redis holds
      this.#set(held > 0 && performance.now() < this.#heldUntilMs);
    } catch (error) {
      this.#options.onError(error as Error);
      void this.writer;
    }
  }

  #set(writer: boolean): void {
    if (writer === this.#writer) return;
    this.#writer = writer;
    this.#options.onChange(writer);
  }
}
