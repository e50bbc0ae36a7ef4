/**
 * Deliveries held while a reconnect's resubscribes are answered. The server answers each
 * resubscribe with its own replay, so the replays of several subscriptions — of one channel or
 * of several — arrive interleaved, each in seq order but not with each other. Once every replay
 * is in, the hold is drained in delivery order:
 *
 * - channel by channel, in the order the channels first appeared (channels are independent);
 * - within a channel, epoch by epoch in the order the epochs first appeared (a new epoch restarts
 *   the numbering, so seqs of two epochs do not compare), and by seq within an epoch;
 * - an exact repeat of a channel's (epoch, seq) — two replays carrying the same message — once.
 *
 * Grouping first and sorting only numbers within a group keeps the order total: a single
 * comparator that called frames of different channels "equal" is not a consistent ordering, and
 * `Array.prototype.sort` may then leave a channel's seqs out of order.
 */
import type { DeliveryFrame } from './protocol/frames.js';

/** channel → epoch → seq → frame; every map in first-appearance order. */
type Held = Map<string, Map<string, Map<number, DeliveryFrame>>>;

export class HeldDeliveries {
  #held: Held = new Map();
  #size = 0;

  /** Frames held (exact repeats counted once). */
  get size(): number {
    return this.#size;
  }

  add(frame: DeliveryFrame): void {
    let epochs = this.#held.get(frame.channel);
    if (!epochs) this.#held.set(frame.channel, (epochs = new Map()));
    let bySeq = epochs.get(frame.epoch);
    if (!bySeq) epochs.set(frame.epoch, (bySeq = new Map()));
    if (bySeq.has(frame.seq)) return;
    bySeq.set(frame.seq, frame);
    this.#size++;
  }

  /** Removes and returns every held frame, in delivery order (see above). */
  drain(): DeliveryFrame[] {
    const held = this.#held;
    this.#held = new Map();
    this.#size = 0;
    const ordered: DeliveryFrame[] = [];
    for (const epochs of held.values()) {
      for (const bySeq of epochs.values()) {
        const seqs = [...bySeq.keys()].sort((a, b) => a - b);
        for (const seq of seqs) ordered.push(bySeq.get(seq)!);
      }
    }
    return ordered;
  }
}
