/**
 * What the client remembers across reconnects: every subscription with its filters, and per
 * channel the position (`seq`, `epoch`) of the last message seen — the `since` of the next
 * subscribe — so a reconnect recovers what was missed and never delivers a `seq` twice.
 */
import { filtersKey, type Filters } from '../protocol/index.js';

export interface ClientSubscription {
  readonly channel: string;
  readonly filters: Filters | undefined;
  readonly key: string;
}

export interface ChannelPosition {
  seq: number;
  epoch: string;
}

export class SubscriptionRegistry {
  readonly #subscriptions = new Map<string, ClientSubscription>();
  readonly #positions = new Map<string, ChannelPosition>();

  /** Remembers a subscription; returns undefined when the same one already exists. */
  add(channel: string, filters: Filters | undefined): ClientSubscription | undefined {
    const normalized = filters && Object.keys(filters).length > 0 ? filters : undefined;
    const key = `${channel}\n${filtersKey(normalized)}`;
    if (this.#subscriptions.has(key)) return undefined;
    const subscription = { channel, filters: normalized, key };
    this.#subscriptions.set(key, subscription);
    return subscription;
  }

  /** Forgets every subscription of a channel and its position. */
  removeChannel(channel: string): boolean {
    let removed = false;
    for (const [key, subscription] of this.#subscriptions) {
      if (subscription.channel === channel) removed = this.#subscriptions.delete(key) || removed;
    }
    this.#positions.delete(channel);
    return removed;
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

  /** True (and records it) when a message is new for its channel; false for a duplicate. */
  accept(channel: string, seq: number, epoch: string): boolean {
    const known = this.#positions.get(channel);
    if (known && known.epoch === epoch && seq <= known.seq) return false;
    this.#positions.set(channel, { seq, epoch });
    return true;
  }
}
