/**
 * The hub indexes this process's subscriptions by channel and fans every broker message out to
 * the matching local sessions. A session with several subscriptions on a channel gets each
 * message once; the frame is encoded once per message, not once per recipient.
 *
 * Filtered subscriptions are indexed by the combination of their filter values (see
 * filter-index.ts), so a publish on a channel with 10,000 subscribers each filtering on its own
 * `agent_id` checks the few subscriptions whose values match — also when they share a key with a
 * common value, which an index on any single key would have to check one by one.
 */
import {
  compileFilters,
  filtersByteLength,
  filtersKey,
  type FilterMatcher,
  type Filters,
} from '@nexus-realtime/client/protocol';
import { type Broker, type BrokerMessage, frameOf, StoredMessage } from '../broker/index.js';
import { FilterIndex } from './filter-index.js';
import type { Logger } from '../logger.js';

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
  /** Bytes of the filters' JSON in UTF-8, as the per-connection bound counts them (0 for none). */
  readonly bytes: number;
  readonly matches: FilterMatcher;
}

/**
 * Prepares a subscription from validated filters; `bytes` is their size when the caller has
 * already measured it (`filtersByteLength`).
 */
export function createSubscription(filters: Filters | undefined, bytes?: number): Subscription {
  const kept = !filters || Object.keys(filters).length === 0 ? undefined : filters;
  return {
    filters: kept,
    key: filtersKey(kept),
    bytes: kept ? (bytes ?? filtersByteLength(kept)) : 0,
    matches: compileFilters(filters),
  };
}

/** Observes how long each fan-out took (seconds). */
export type FanOutObserver = (seconds: number) => void;

/**
 * One message on its way out. Subscribers get it without the parsed payload (`kept`, which parses
 * it back from the frame if asked): a session may hold a delivery for a while (live messages wait
 * while a subscribe is answered), and holding the payload's object graph could cost many times
 * the frame's bytes that the slow-consumer limit counts.
 */
interface Delivery {
  readonly message: BrokerMessage;
  frame: Buffer | undefined;
  kept: StoredMessage | undefined;
}

/** One subscription of one subscriber, as the filter index holds it. */
interface Entry {
  readonly subscriber: Subscriber;
  readonly subscription: Subscription;
}

class ChannelIndex {
  /** Each subscriber's subscriptions on the channel, by filters key, in the order they came. */
  readonly entries = new Map<Subscriber, Map<string, Entry>>();
  /** Subscribers with at least one unfiltered subscription: they get every message. */
  readonly unfiltered = new Set<Subscriber>();
  readonly filtered = new FilterIndex<Entry>();
  /** Messages fanned out on the channel since it got its first local subscriber. */
  messages = 0;

  add(entry: Entry): void {
    const filters = entry.subscription.filters;
    if (filters) this.filtered.add(filters, entry);
    else this.unfiltered.add(entry.subscriber);
  }

  delete(entry: Entry): void {
    const filters = entry.subscription.filters;
    if (filters) this.filtered.delete(filters, entry);
    else this.unfiltered.delete(entry.subscriber);
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
    let entries = index.entries.get(subscriber);
    if (entries?.has(subscription.key)) return false;
    if (!entries) index.entries.set(subscriber, (entries = new Map()));
    const entry = { subscriber, subscription };
    entries.set(subscription.key, entry);
    index.add(entry);
    return true;
  }

  /** The subscriber's subscriptions on a channel. */
  subscriptions(subscriber: Subscriber, channel: string): readonly Subscription[] {
    const entries = this.#channels.get(channel)?.entries.get(subscriber)?.values() ?? [];
    return Array.from(entries, (e) => e.subscription);
  }

  /** Removes every subscription of the subscriber on the channel; returns how many there were. */
  remove(subscriber: Subscriber, channel: string): number {
    const index = this.#channels.get(channel);
    const entries = index?.entries.get(subscriber);
    if (!index || !entries) return 0;
    index.entries.delete(subscriber);
    for (const entry of entries.values()) index.delete(entry);
    if (index.entries.size === 0) {
      this.#channels.delete(channel);
      this.broker.unwatch(channel);
    }
    return entries.size;
  }

  /**
   * Removes one subscription (by its filters key), leaving the subscriber's others on the channel
   * in place; the broker stops watching only when the channel has no subscriber left. True when
   * it was there.
   */
  removeOne(subscriber: Subscriber, channel: string, subscription: Subscription): boolean {
    const index = this.#channels.get(channel);
    const entries = index?.entries.get(subscriber);
    const entry = entries?.get(subscription.key);
    if (!index || !entries || !entry) return false;
    entries.delete(subscription.key);
    index.delete(entry);
    if (entries.size === 0) index.entries.delete(subscriber);
    if (index.entries.size === 0) {
      this.#channels.delete(channel);
      this.broker.unwatch(channel);
    }
    return true;
  }

  /** Every channel with a local subscriber: its subscriber count and the messages fanned out so far. */
  channelCounts(): { channel: string; subscribers: number; messages: number }[] {
    return Array.from(this.#channels, ([channel, index]) => ({
      channel,
      subscribers: index.entries.size,
      messages: index.messages,
    }));
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
    index.messages++;
    const started = this.observeFanOut ? process.hrtime.bigint() : 0n;
    const delivery: Delivery = { message, frame: undefined, kept: undefined };
    for (const subscriber of index.unfiltered) this.#deliver(subscriber, delivery);
    for (const subscriber of this.#filteredRecipients(index, message)) this.#deliver(subscriber, delivery);
    if (this.observeFanOut) this.observeFanOut(Number(process.hrtime.bigint() - started) / 1e9);
  }

  /**
   * Subscribers without an unfiltered subscription that one of their filtered subscriptions
   * matches, each once. Candidates come from the index; each is checked against its full filters.
   * Collected before any delivery, so a session closing during the fan-out cannot disturb the walk.
   */
  #filteredRecipients(index: ChannelIndex, message: BrokerMessage): Set<Subscriber> {
    const recipients = new Set<Subscriber>();
    if (index.filtered.size === 0) return recipients;
    // Read only now: a payload carried as text is parsed only when a filter must look at it.
    const data = message.data;
    if (typeof data !== 'object' || data === null || Array.isArray(data)) return recipients;
    index.filtered.forEachCandidate(data as Record<string, unknown>, ({ subscriber, subscription }) => {
      if (index.unfiltered.has(subscriber) || recipients.has(subscriber)) return;
      if (subscription.matches(data)) recipients.add(subscriber);
    });
    return recipients;
  }

  #deliver(subscriber: Subscriber, delivery: Delivery): void {
    delivery.frame ??= frameOf(delivery.message);
    delivery.kept ??= StoredMessage.of(delivery.message, delivery.frame);
    try {
      subscriber.deliver(delivery.kept, delivery.frame);
    } catch (error) {
      this.logger.error({ err: error, connectionId: subscriber.id }, 'delivery failed');
    }
  }
}
