/**
 * The channel side of the client: the remembered subscriptions (subscriptions.ts), the channel
 * listeners, and what the server's answers mean for them — a `subscribed` reply moves the
 * channel's position and answers `subscribe()`, an `error` answering a subscribe settles it (and
 * forgets a subscription refused for good), and each message is delivered once per seq, with a
 * `gap` when its channel's numbering restarted under a new epoch.
 */
import { ErrorCode } from './protocol/codes.js';
import type { Filters } from './protocol/filters.js';
import type { DeliveryFrame, SubscribedFrame } from './protocol/frames.js';
import type { Emitter } from './emitter.js';
import type { ChannelListener, ClientEvents, SubscribeResult } from './events.js';
import type { PendingRequests, RequestFailure } from './pending-requests.js';
import { subscribeFrame } from './resync.js';
import { SubscriptionRegistry, type ClientSubscription } from './subscriptions.js';

/** Error codes by which the server refuses a subscription for good: it is not re-sent. */
const SUBSCRIPTION_REFUSALS: ReadonlySet<string> = new Set<ErrorCode>([
  ErrorCode.InvalidMessage,
  ErrorCode.Forbidden,
  ErrorCode.TooManySubscriptions,
]);

export class Channels {
  readonly registry = new SubscriptionRegistry();
  readonly #listeners = new Map<string, Set<ChannelListener>>();
  readonly #emitter: Emitter<ClientEvents>;
  readonly #pending: PendingRequests;

  constructor(emitter: Emitter<ClientEvents>, pending: PendingRequests) {
    this.#emitter = emitter;
    this.#pending = pending;
  }

  /**
   * Remembers a subscription and resolves with the server's first answer to it; `send` sends it
   * now when the connection is open. The same subscription again answers with the channel's position.
   */
  subscribe(
    channel: string,
    filters: Filters | undefined,
    send: ((subscription: ClientSubscription) => void) | undefined,
    presence = false,
  ): Promise<SubscribeResult> {
    const subscription = this.registry.add(channel, filters, presence);
    if (!subscription)
      return Promise.resolve({ ok: true, ...(this.registry.position(channel) ?? { seq: 0, epoch: '' }) });
    const result = this.#pending.waitForSubscribe(subscription.key);
    send?.(subscription);
    return result;
  }

  /** The subscribe frame of `subscription`, sent as `id`: from a known position, with `since`/`epoch`. */
  subscribeFrame(subscription: ClientSubscription, id: string): ReturnType<typeof subscribeFrame> {
    this.#pending.subscribeSent(id, subscription.key);
    return subscribeFrame(id, subscription, this.registry.position(subscription.channel));
  }

  /** Adds a listener of `channel`'s messages; returns the function that removes it. */
  listen(channel: string, listener: ChannelListener): () => void {
    let set = this.#listeners.get(channel);
    if (!set) {
      set = new Set();
      this.#listeners.set(channel, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  /** A message, delivered once per seq: `message`, then the channel's listeners. */
  deliver(frame: DeliveryFrame): void {
    const known = this.registry.position(frame.channel);
    if (!this.registry.accept(frame.channel, frame.seq, frame.epoch)) return;
    // The numbering restarted under a new epoch while connected (e.g. Redis lost its data):
    // whatever was published in between is unknown, which is a gap.
    if (known && known.epoch !== frame.epoch)
      this.#emitter.emit('gap', { channel: frame.channel, since: known.seq, seq: frame.seq, epoch: frame.epoch });
    this.#emitter.emit('message', { channel: frame.channel, data: frame.data, frame });
    const listeners = this.#listeners.get(frame.channel);
    for (const listener of listeners ? [...listeners] : []) {
      try {
        listener(frame.data, frame);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  /** The server confirmed a subscription: a gap when history could not cover what was missed. */
  onSubscribed(frame: SubscribedFrame): void {
    const since = this.registry.position(frame.channel)?.seq;
    if (frame.recovered === false)
      this.#emitter.emit('gap', { channel: frame.channel, since, seq: frame.seq, epoch: frame.epoch });
    this.registry.subscribed(frame.channel, frame.seq, frame.epoch, frame.recovered);
    const { channel, seq, epoch, recovered } = frame;
    this.#emitter.emit('subscribed', { channel, seq, epoch, ...(recovered === undefined ? {} : { recovered }) });
    const key = frame.id === undefined ? undefined : this.#pending.takeSubscribeKey(String(frame.id));
    if (key === undefined) return;
    this.#pending.answerSubscribe(key, { ok: true, seq, epoch, ...(recovered === undefined ? {} : { recovered }) });
  }

  /** An error answered frame `id`; true when it was a subscribe (settled; refused for good: forgotten). */
  onRefused(id: string, refused: RequestFailure): boolean {
    const key = this.#pending.takeSubscribeKey(id);
    if (key === undefined) return false;
    if (SUBSCRIPTION_REFUSALS.has(refused.code)) this.registry.remove(key);
    this.#pending.answerSubscribe(key, refused);
    return true;
  }
}
