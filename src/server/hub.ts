/**
 * The hub indexes this process's subscriptions by channel and fans every broker message out to
 * the matching local sessions. A session with several subscriptions on a channel gets each
 * message once; the frame is encoded once per message, not once per recipient.
 */
import { compileFilters, filtersKey, type FilterMatcher, type Filters } from '../protocol/index.js';
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
  return { filters: empty ? undefined : filters, key: filtersKey(empty ? undefined : filters), matches: compileFilters(filters) };
}

export class Hub {
  readonly #channels = new Map<string, Map<Subscriber, Subscription[]>>();
  readonly #offBroker: () => void;

  constructor(
    private readonly broker: Broker,
    private readonly logger: Logger,
  ) {
    this.#offBroker = broker.onMessage((message) => this.#fanOut(message));
  }

  /** Adds a subscription; false when the subscriber already has one with the same filters. */
  add(subscriber: Subscriber, channel: string, subscription: Subscription): boolean {
    let subscribers = this.#channels.get(channel);
    if (!subscribers) {
      subscribers = new Map();
      this.#channels.set(channel, subscribers);
      this.broker.watch(channel);
    }
    const list = subscribers.get(subscriber) ?? [];
    if (list.some((s) => s.key === subscription.key)) return false;
    subscribers.set(subscriber, [...list, subscription]);
    return true;
  }

  /** The subscriber's subscriptions on a channel. */
  subscriptions(subscriber: Subscriber, channel: string): readonly Subscription[] {
    return this.#channels.get(channel)?.get(subscriber) ?? [];
  }

  /** Removes every subscription of the subscriber on the channel; returns how many there were. */
  remove(subscriber: Subscriber, channel: string): number {
    const subscribers = this.#channels.get(channel);
    const removed = subscribers?.get(subscriber)?.length ?? 0;
    if (!subscribers || removed === 0) return 0;
    subscribers.delete(subscriber);
    if (subscribers.size === 0) {
      this.#channels.delete(channel);
      this.broker.unwatch(channel);
    }
    return removed;
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
    const subscribers = this.#channels.get(message.channel);
    if (!subscribers) return;
    let frame: Buffer | undefined;
    for (const [subscriber, subscriptions] of subscribers) {
      if (!subscriptions.some((s) => s.matches(message.data))) continue;
      frame ??= encodeDelivery(message);
      try {
        subscriber.deliver(message, frame);
      } catch (error) {
        this.logger.error({ err: error, connectionId: subscriber.id }, 'delivery failed');
      }
    }
  }
}
