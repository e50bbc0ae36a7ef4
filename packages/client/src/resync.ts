/**
 * Resync after a reconnect. Every remembered subscription is sent again once, with its filters
 * and the `since`/`epoch` of its channel's position, so the server replays what was missed; then
 * a ping. The server handles a connection's frames in order, so the pong comes after every
 * replay: until then deliveries are held, then released per channel in (epoch, seq) order —
 * replays of several subscriptions interleave into one ordered stream per channel, without loss
 * or duplicates (held-deliveries.ts).
 *
 *   live ── begin() (welcome, with subscriptions) ──▶ holding ── pong of the sync ping ──▶ live
 *   holding: the sync ping refused (rate_limited) ──▶ sent again after 1 s, still holding
 *   any phase ── reset() (close, disconnect) ──▶ live, what was held dropped (replayed next time)
 */
import { Action } from './protocol/frames.js';
import type { DeliveryFrame } from './protocol/frames.js';
import { HeldDeliveries } from './held-deliveries.js';
import type { ChannelPosition, ClientSubscription } from './subscriptions.js';

/** A sync ping the server dropped (rate limited) is sent again after this long. */
export const SYNC_RETRY_MS = 1000;

/** The subscribe frame of a subscription; from a known position it asks for what came after. */
export function subscribeFrame(id: string, subscription: ClientSubscription, position?: Readonly<ChannelPosition>) {
  return {
    action: Action.Subscribe,
    id,
    channel: subscription.channel,
    ...(subscription.filters ? { filters: subscription.filters } : {}),
    ...(subscription.presence ? { presence: true } : {}),
    ...(position ? { since: position.seq, epoch: position.epoch } : {}),
  };
}

export interface ResyncOptions {
  /** A new frame id starting with `prefix`. */
  readonly nextId: (prefix: string) => string;
  readonly sendPing: (id: string) => void;
  /** Delivers a released frame (no longer held). */
  readonly deliver: (frame: DeliveryFrame) => void;
}

type ResyncPhase =
  { readonly name: 'live' } | { readonly name: 'holding'; readonly pingId: string; readonly held: HeldDeliveries };

export class Resync {
  readonly #options: ResyncOptions;
  #phase: ResyncPhase = { name: 'live' };
  /** The sync ping sent again after a refusal. */
  #retry: ReturnType<typeof setTimeout> | undefined;
  /** Counts resets: a release stops when a listener ended the connection. */
  #resets = 0;

  constructor(options: ResyncOptions) {
    this.#options = options;
  }

  /** The id of the sync ping while holding. */
  get pingId(): string | undefined {
    return this.#phase.name === 'holding' ? this.#phase.pingId : undefined;
  }

  /** Re-sends every subscription (with `send`), then the sync ping; deliveries are held until its pong. */
  begin(subscriptions: readonly ClientSubscription[], send: (subscription: ClientSubscription) => void): void {
    this.reset();
    if (subscriptions.length === 0) return;
    for (const subscription of subscriptions) send(subscription);
    this.#sendPing(new HeldDeliveries());
  }

  /** Holds `frame` while resyncing; false when live (deliver it now). */
  hold(frame: DeliveryFrame): boolean {
    if (this.#phase.name !== 'holding') return false;
    this.#phase.held.add(frame);
    return true;
  }

  /** A pong; true when it answered the sync ping (what was held is then released in order). */
  onPong(id: unknown): boolean {
    if (this.#phase.name !== 'holding' || id !== this.#phase.pingId) return false;
    const { held } = this.#phase;
    this.#live();
    const resets = this.#resets;
    for (const frame of held.drain()) {
      // A listener called disconnect(): the rest is neither delivered nor recorded as delivered.
      if (resets !== this.#resets) break;
      this.#options.deliver(frame);
    }
    return true;
  }

  /** An error answered frame `id`; true when it was the sync ping: ask again once the server has room. */
  onRefused(id: string): boolean {
    if (this.#phase.name !== 'holding' || id !== this.#phase.pingId) return false;
    const { held } = this.#phase;
    clearTimeout(this.#retry);
    this.#retry = setTimeout(() => this.#holds(held) && this.#sendPing(held), SYNC_RETRY_MS);
    return true;
  }

  /** The sync ping `pingId` was dropped unread (a drain ping came back first): send it again. */
  resendPing(pingId: string): void {
    if (this.#phase.name === 'holding' && this.#phase.pingId === pingId) this.#sendPing(this.#phase.held);
  }

  #holds(held: HeldDeliveries): boolean {
    return this.#phase.name === 'holding' && this.#phase.held === held;
  }

  /** The connection ended: held deliveries were not accepted, and are replayed after the next reconnect. */
  reset(): void {
    this.#resets++;
    this.#live();
  }

  #sendPing(held: HeldDeliveries): void {
    const pingId = this.#options.nextId('sync');
    this.#phase = { name: 'holding', pingId, held };
    this.#options.sendPing(pingId);
  }

  /** Back to live: the sync ping's retry, if any, is off. */
  #live(): void {
    clearTimeout(this.#retry);
    this.#retry = undefined;
    this.#phase = { name: 'live' };
  }
}
