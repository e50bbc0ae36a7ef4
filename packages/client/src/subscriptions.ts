/**
 * What the client remembers across reconnects: every subscription with its filters, and per
 * channel two points in its numbering. The position (`seq`, `epoch`) is where the client stands —
 * the `since` of the next subscribe, moved by deliveries and by `subscribed` replies — so a
 * reconnect recovers what was missed. The last delivered message decides what is a duplicate:
 * only a message at or below one actually delivered is dropped, so a reply that moves the
 * position forward (history lost) never hides a message that another replay still brings.
 */
import { filtersKey, type Filters } from './protocol/filters.js';

export interface ClientSubscription {
  readonly channel: string;
  readonly filters: Filters | undefined;
  /** Also receive the channel's `presence` frames (users joining and leaving). */
  readonly presence: boolean;
  readonly key: string;
}

export interface ChannelPosition {
  seq: number;
  epoch: string;
}

export class SubscriptionRegistry {
  readonly #subscriptions = new Map<string, ClientSubscription>();
  readonly #positions = new Map<string, ChannelPosition>();
  readonly #delivered = new Map<string, ChannelPosition>();

  /** Remembers a subscription; returns undefined when the same one already exists. */
  add(channel: string, filters: Filters | undefined, presence = false): ClientSubscription | undefined {
    const normalized = filters && Object.keys(filters).length > 0 ? filters : undefined;
    const key = `${channel}\n${filtersKey(normalized)}${presence ? '\npresence' : ''}`;
    if (this.#subscriptions.has(key)) return undefined;
    const subscription = { channel, filters: normalized, presence, key };
    this.#subscriptions.set(key, subscription);
    return subscription;
  }

  /** Forgets every subscription of a channel and its position. */
  removeChannel(channel: string): boolean {
    let removed = false;
    for (const [key, subscription] of this.#subscriptions) {
      if (subscription.channel === channel) removed = this.#subscriptions.delete(key) || removed;
    }
    this.#forgetPosition(channel);
    return removed;
  }

  /** Forgets one subscription; the channel's position goes with its last subscription. */
  remove(key: string): ClientSubscription | undefined {
    const subscription = this.#subscriptions.get(key);
    if (!subscription) return undefined;
    this.#subscriptions.delete(key);
    if (!this.has(subscription.channel)) this.#forgetPosition(subscription.channel);
    return subscription;
  }

  has(channel: string): boolean {
    return [...this.#subscriptions.values()].some((s) => s.channel === channel);
  }

  all(): ClientSubscription[] {
    return [...this.#subscriptions.values()];
  }

  position(channel: string): Readonly<ChannelPosition> | undefined {
    return this.#positions.get(channel);
  }

  /**
   * Records a `subscribed` reply. Without a known position, or when history could not be
   * recovered, the channel restarts from the reply's seq.
   */
  subscribed(channel: string, seq: number, epoch: string, recovered: boolean | undefined): void {
    const known = this.#positions.get(channel);
    if (!known || recovered === false || known.epoch !== epoch) this.#positions.set(channel, { seq, epoch });
  }

  /**
   * True (and records it as delivered) when a message is new for its channel; false for a
   * duplicate of one delivered already. Callers deliver each channel's messages in seq order.
   */
  accept(channel: string, seq: number, epoch: string): boolean {
    const last = this.#delivered.get(channel);
    if (last && last.epoch === epoch && seq <= last.seq) return false;
    this.#delivered.set(channel, { seq, epoch });
    const position = this.#positions.get(channel);
    if (!position || position.epoch !== epoch || seq > position.seq) this.#positions.set(channel, { seq, epoch });
    return true;
  }

  #forgetPosition(channel: string): void {
    this.#positions.delete(channel);
    this.#delivered.delete(channel);
  }
}
