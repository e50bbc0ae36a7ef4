/**
 * The hub indexes this process's subscriptions by channel and fans every broker message out to
 * the matching local sessions. A session with several subscriptions on a channel gets each
 * message once; the frame is encoded once per message, not once per recipient.
 *
 * Filtered subscriptions are also indexed by the value of their first filter key, so a publish
 * on a channel with 10,000 subscribers each filtering on its own `agent_id` looks at the few
 * subscribers whose value matches instead of testing all of them.
 */
import { compileFilters, filtersKey, type FilterMatcher, type Filters, type FilterScalar } from '../protocol/index.js';
import type { Broker, BrokerMessage } from './broker/broker.js';
import { encodeDelivery } from './frames.js';
import type { Logger } from './logger.js';

/** The receiving end of a fan-out (a session). */
export interface Subscriber {
  readonly id: string;
  deliver(message: BrokerMessage, frame: Buffer): void;
}

/** One subscription: a channel's filters, prepared for matching. */
export interface Subscription {
  readonly filters: Filters | undefined;
  /** Canonical form of the filters; equal keys mean the same subscription. */
  readonly key: string;
  readonly matches: FilterMatcher;
}

/** Prepares a subscription from validated filters. */
export function createSubscription(filters: Filters | undefined): Subscription {
  const empty = !filters || Object.keys(filters).length === 0;
  return {
    filters: empty ? undefined : filters,
    key: filtersKey(empty ? undefined : filters),
    matches: compileFilters(filters),
  };
}

/** Observes how long each fan-out took (seconds). */
export type FanOutObserver = (seconds: number) => void;

class ChannelIndex {
  readonly subscriptions = new Map<Subscriber, Subscription[]>();
  /** Subscribers with at least one unfiltered subscription: they get every message. */
  readonly unfiltered = new Set<Subscriber>();
  /** filter key → value → subscribers whose subscription's first filter key has that value. */
  readonly byValue = new Map<string, Map<FilterScalar, Set<Subscriber>>>();

  reindex(subscriber: Subscriber, before: readonly Subscription[], after: readonly Subscription[]): void {
    for (const s of before) this.#index(subscriber, s, false);
    this.unfiltered.delete(subscriber);
    for (const s of after) this.#index(subscriber, s, true);
  }

  #index(subscriber: Subscriber, subscription: Subscription, add: boolean): void {
    const filters = subscription.filters;
    if (!filters) {
      if (add) this.unfiltered.add(subscriber);
      return;
    }
    const key = Object.keys(filters).sort()[0]!;
    const raw = filters[key]!;
    let values = this.byValue.get(key);
    if (!values) {
      if (!add) return;
      values = new Map();
      this.byValue.set(key, values);
    }
    for (const value of Array.isArray(raw) ? raw : [raw]) {
      let set = values.get(value);
      if (add) {
        if (!set) values.set(value, (set = new Set()));
        set.add(subscriber);
      } else if (set) {
        set.delete(subscriber);
        if (set.size === 0) values.delete(value);
      }
    }
    if (values.size === 0) this.byValue.delete(key);
  }
}

export class Hub {
  readonly #channels = new Map<string, ChannelIndex>();
  readonly #offBroker: () => void;

  constructor(
    private readonly broker: Broker,
    private readonly logger: Logger,
    private readonly observeFanOut?: FanOutObserver,
  ) {
    this.#offBroker = broker.onMessage((message) => this.#fanOut(message));
  }

  /** Adds a subscription; false when the subscriber already has one with the same filters. */
  add(subscriber: Subscriber, channel: string, subscription: Subscription): boolean {
    let index = this.#channels.get(channel);
    if (!index) {
      index = new ChannelIndex();
      this.#channels.set(channel, index);
      this.broker.watch(channel);
    }
    const list = index.subscriptions.get(subscriber) ?? [];
    if (list.some((s) => s.key === subscription.key)) return false;
    const next = [...list, subscription];
    index.subscriptions.set(subscriber, next);
    index.reindex(subscriber, list, next);
    return true;
  }

  /** The subscriber's subscriptions on a channel. */
  subscriptions(subscriber: Subscriber, channel: string): readonly Subscription[] {
    return this.#channels.get(channel)?.subscriptions.get(subscriber) ?? [];
  }

  /** Removes every subscription of the subscriber on the channel; returns how many there were. */
  remove(subscriber: Subscriber, channel: string): number {
    const index = this.#channels.get(channel);
    const list = index?.subscriptions.get(subscriber) ?? [];
    if (!index || list.length === 0) return 0;
    index.subscriptions.delete(subscriber);
    index.reindex(subscriber, list, []);
    if (index.subscriptions.size === 0) {
      this.#channels.delete(channel);
      this.broker.unwatch(channel);
    }
    return list.length;
  }

  /** Number of channels with at least one local subscriber. */
  get channelCount(): number {
    return this.#channels.size;
  }

  close(): void {
    this.#offBroker();
    this.#channels.clear();
  }

  #fanOut(message: BrokerMessage): void {
    const index = this.#channels.get(message.channel);
    if (!index) return;
    const started = this.observeFanOut ? process.hrtime.bigint() : 0n;
    const delivery = { message, frame: undefined as Buffer | undefined };
    for (const subscriber of index.unfiltered) this.#deliver(subscriber, delivery);
    if (index.byValue.size > 0) this.#fanOutFiltered(index, delivery);
    if (this.observeFanOut) this.observeFanOut(Number(process.hrtime.bigint() - started) / 1e9);
  }

  /** Candidates come from the value index; each is checked against its full filters. */
  #fanOutFiltered(index: ChannelIndex, delivery: { message: BrokerMessage; frame: Buffer | undefined }): void {
    const data = delivery.message.data;
    if (typeof data !== 'object' || data === null || Array.isArray(data)) return;
    const record = data as Record<string, unknown>;
    // A subscriber can be a candidate under several keys: remember who got it.
    const seen = index.byValue.size > 1 ? new Set<Subscriber>() : undefined;
    for (const [key, values] of index.byValue) {
      if (!Object.hasOwn(record, key)) continue;
      const candidates = values.get(record[key] as FilterScalar);
      if (!candidates) continue;
      for (const subscriber of candidates) {
        if (index.unfiltered.has(subscriber) || seen?.has(subscriber)) continue;
        seen?.add(subscriber);
        if (index.subscriptions.get(subscriber)?.some((s) => s.matches(data))) this.#deliver(subscriber, delivery);
      }
    }
  }

  #deliver(subscriber: Subscriber, delivery: { message: BrokerMessage; frame: Buffer | undefined }): void {
    delivery.frame ??= encodeDelivery(delivery.message);
    try {
      subscriber.deliver(delivery.message, delivery.frame);
    } catch (error) {
      this.logger.error({ err: error, connectionId: subscriber.id }, 'delivery failed');
    }
  }
}
