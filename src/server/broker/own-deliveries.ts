/**
 * Read-your-writes for one process: a publish waits until the process's own subscription has
 * brought the message back (Redis pub/sub) and handed it to the local listeners, so what a
 * process acknowledges it already knows. The reply to the publish and the message itself arrive
 * on two connections in no fixed order; the message may come first (kept until the publish asks),
 * or never (the subscriber is reconnecting): the wait is bounded.
 */

/** A message delivered before its publish asked is forgotten after this many waits' worth of time. */
const EARLY_KEEP_FACTOR = 4;

export class OwnDeliveries {
  readonly #waiting = new Map<string, () => void>();
  /** Delivered before anyone waited: key → when (insertion order is time order). */
  readonly #early = new Map<string, number>();

  constructor(
    private readonly waitMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Resolves once `delivered` was called for this message, or after `waitMs`. */
  wait(channel: string, epoch: string, seq: number): Promise<void> {
    const key = keyOf(channel, epoch, seq);
    if (this.#early.delete(key)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiting.delete(key);
        resolve();
      };
      const timer = setTimeout(done, this.waitMs);
      this.#waiting.set(key, done);
    });
  }

  /** The process's listeners got this message (one it published). */
  delivered(channel: string, epoch: string, seq: number): void {
    const key = keyOf(channel, epoch, seq);
    const waiter = this.#waiting.get(key);
    if (waiter) return waiter();
    const nowMs = this.now();
    this.#early.set(key, nowMs);
    for (const [old, atMs] of this.#early) {
      if (nowMs - atMs < EARLY_KEEP_FACTOR * this.waitMs) break;
      this.#early.delete(old);
    }
  }

  /** Messages waited for, and delivered ones nobody asked for yet (tests). */
  get size(): { waiting: number; early: number } {
    return { waiting: this.#waiting.size, early: this.#early.size };
  }
}

function keyOf(channel: string, epoch: string, seq: number): string {
  return `${epoch}\n${seq}\n${channel}`;
}
