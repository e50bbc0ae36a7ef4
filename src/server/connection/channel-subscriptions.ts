/**
 * One connection's subscriptions, channel by channel, and the bounds on them: at most
 * `Limits.maxSubscriptionsPerConnection` subscriptions and `Limits.maxFiltersBytesPerConnection`
 * bytes of filters in all. The subscriptions themselves live in the hub (which fans messages out
 * to them); this keeps which channels the connection holds and what its filters cost, so the two
 * never disagree.
 */
import { Limits } from '@nexus-realtime/client/protocol';
import type { Hub, Subscriber, Subscription } from '../fanout/index.js';
import { filtersFingerprint } from './unread-filters.js';

export class ChannelSubscriptions {
  readonly #channels = new Set<string>();
  /** Fingerprints of held subscriptions' filters, worked out the first time they are compared. */
  readonly #fingerprints = new WeakMap<Subscription, string>();
  /** Subscriptions held, on every channel. */
  #count = 0;
  /** Bytes of JSON of the filters of every subscription held. */
  #filterBytes = 0;

  constructor(
    private readonly hub: Hub,
    private readonly subscriber: Subscriber,
  ) {}

  /** The subscriptions held on `channel`. */
  of(channel: string): readonly Subscription[] {
    return this.hub.subscriptions(this.subscriber, channel);
  }

  has(channel: string): boolean {
    return this.#channels.has(channel);
  }

  get count(): number {
    return this.#count;
  }

  /** Bytes of filters a new subscription may still take; 0 once the connection holds the most subscriptions. */
  get filterBytesLeft(): number {
    if (this.#count >= Limits.maxSubscriptionsPerConnection) return 0;
    return Limits.maxFiltersBytesPerConnection - this.#filterBytes;
  }

  /** Every subscription with its channel. */
  list(): { channel: string; filters: Subscription['filters'] }[] {
    const out: { channel: string; filters: Subscription['filters'] }[] = [];
    for (const channel of this.#channels) for (const s of this.of(channel)) out.push({ channel, filters: s.filters });
    return out;
  }

  /** True when the connection holds no subscription with these filters on `channel`. */
  isNew(channel: string, subscription: Subscription): boolean {
    return !this.of(channel).some((s) => s.key === subscription.key);
  }

  /**
   * True when the connection may already hold, on `channel`, a subscription with the filters of
   * this fingerprint (`filtersFingerprint`): only then is it worth preparing a subscription that
   * the bounds would refuse if new. Cheap, so a connection at its bounds sending subscribe after
   * subscribe is refused without having their filters sorted and compiled each time.
   */
  mayHold(channel: string, fingerprint: string): boolean {
    if (!this.#channels.has(channel)) return false;
    return this.of(channel).some((s) => this.#fingerprintOf(s) === fingerprint);
  }

  /** Why a new subscription with `bytes` bytes of filters would break the connection's bounds, if it would. */
  refusal(bytes: number): string | undefined {
    if (this.#count >= Limits.maxSubscriptionsPerConnection) {
      return `at most ${Limits.maxSubscriptionsPerConnection} subscriptions per connection`;
    }
    if (this.#filterBytes + bytes > Limits.maxFiltersBytesPerConnection) {
      const left = Limits.maxFiltersBytesPerConnection - this.#filterBytes;
      return `at most ${Limits.maxFiltersBytesPerConnection} bytes of filters per connection (${left} left, these take ${bytes})`;
    }
    return undefined;
  }

  /** Adds a subscription (counted when new; an identical one is the same subscription). */
  add(channel: string, subscription: Subscription): void {
    if (this.hub.add(this.subscriber, channel, subscription)) {
      this.#count++;
      this.#filterBytes += subscription.bytes;
    }
    this.#channels.add(channel);
  }

  /** Removes one subscription, leaving the channel's others (and the broker's watch) in place. */
  removeOne(channel: string, subscription: Subscription): void {
    if (this.hub.removeOne(this.subscriber, channel, subscription)) {
      this.#count--;
      this.#filterBytes -= subscription.bytes;
    }
    if (this.of(channel).length === 0) this.#channels.delete(channel);
  }

  /** Removes every subscription of `channel`. */
  removeChannel(channel: string): void {
    for (const s of this.of(channel)) this.#filterBytes -= s.bytes;
    this.#count -= this.hub.remove(this.subscriber, channel);
    this.#channels.delete(channel);
  }

  #fingerprintOf(subscription: Subscription): string {
    let fingerprint = this.#fingerprints.get(subscription);
    if (fingerprint === undefined) {
      fingerprint = filtersFingerprint(subscription.filters);
      this.#fingerprints.set(subscription, fingerprint);
    }
    return fingerprint;
  }

  /** Removes everything (the connection ended). */
  clear(): void {
    for (const channel of this.#channels) this.hub.remove(this.subscriber, channel);
    this.#channels.clear();
    this.#count = 0;
    this.#filterBytes = 0;
  }
}
