/**
 * What lives for one open connection, from the server's welcome to its close, and the routing
 * of the server's answers to it: the heartbeat, the resync of the remembered subscriptions
 * (resync.ts), the in-band token refresh (token-refresh.ts) and the drain ping (drain-ping.ts).
 * The client's `open` state holds one; the close ends it, so nothing of a connection outlives it.
 */
import { ErrorCode } from './protocol/codes.js';
import { Action, type AckFrame, type DeliveryFrame, type ErrorFrame, type HealthFrame } from './protocol/frames.js';
import type { Channels } from './channels.js';
import type { ServerHealth } from './events.js';
import { DrainPing } from './drain-ping.js';
import { Heartbeat } from './heartbeat.js';
import type { PendingRequests } from './pending-requests.js';
import { Resync } from './resync.js';
import type { ClientSubscription } from './subscriptions.js';
import type { TokenRefresh } from './token-refresh.js';

export interface OpenConnectionOptions {
  readonly pingIntervalMs: number;
  readonly pongTimeoutMs: number;
  readonly now: () => number;
  readonly channels: Channels;
  readonly pending: PendingRequests;
  /** The token, which outlives connections; refreshed in band while this one is open. */
  readonly token: TokenRefresh;
  /** A new frame id starting with `prefix`. */
  readonly nextId: (prefix: string) => string;
  /** Sends a frame; false when it could not be sent. */
  readonly send: (frame: object) => boolean;
  /** A heartbeat ping went unanswered: the connection is dead. */
  readonly onDead: () => void;
  readonly onRtt: (rttMs: number) => void;
  /** The server told its health. */
  readonly onHealth: (health: ServerHealth) => void;
}

export class OpenConnection {
  readonly #options: OpenConnectionOptions;
  readonly #heartbeat: Heartbeat;
  readonly #resync: Resync;
  readonly #drain: DrainPing;
  #ended = false;
  #health: ServerHealth | undefined;

  constructor(options: OpenConnectionOptions) {
    this.#options = options;
    const { nextId, channels, pending } = options;
    const sendPing = (id: string) => void options.send({ action: Action.Ping, id });
    this.#heartbeat = new Heartbeat({ ...options, sendPing });
    this.#resync = new Resync({ nextId, sendPing, deliver: (frame) => channels.deliver(frame) });
    this.#drain = new DrainPing({
      pending,
      nextId,
      sendPing,
      syncPingId: () => this.#resync.pingId,
      onSyncPingDropped: (pingId) => this.#resync.resendPing(pingId),
    });
  }

  /** The welcome: heartbeat on, every subscription re-sent (resync), refresh scheduled. */
  start(): void {
    this.#heartbeat.start();
    this.#resync.begin(this.#options.channels.registry.all(), (subscription) => this.subscribe(subscription));
    this.#options.token.start();
  }

  /** Sends the subscribe frame of `subscription`. */
  subscribe(subscription: ClientSubscription): void {
    const { channels, nextId, send } = this.#options;
    send(channels.subscribeFrame(subscription, nextId('s')));
  }

  /** The connection closed or was given up: everything of it stops; what was held is dropped. */
  end(): void {
    this.#ended = true;
    this.#heartbeat.stop();
    this.#options.token.stop();
    this.#resync.reset();
    this.#drain.reset();
  }

  /** The last health the server told this connection; undefined until it told one. */
  get health(): ServerHealth | undefined {
    return this.#health;
  }

  /** The server told its health (a change, or right after the welcome while degraded). */
  onHealth({ status, redis, timestamp }: HealthFrame): void {
    this.#health = { status, redis, timestamp };
    this.#options.onHealth(this.#health);
  }

  /** Sends a heartbeat ping now. */
  ping(): void {
    if (!this.#ended) this.#heartbeat.pingNow();
  }

  /** A message: held while resyncing, else delivered. */
  onDelivery(frame: DeliveryFrame): void {
    if (!this.#resync.hold(frame)) this.#options.channels.deliver(frame);
  }

  /** A publish was acknowledged (the ones sent before it and still waiting were dropped unread). */
  onAck({ id, seq, channel, epoch }: AckFrame): void {
    this.#drain.acked(String(id));
    this.#options.pending.answerPublish(String(id), {
      ok: true,
      seq,
      channel,
      ...(epoch === undefined ? {} : { epoch }),
    });
  }

  /** A pong: of the drain ping, of the sync ping, or of the heartbeat. */
  onPong(id: unknown): void {
    if (this.#drain.onPong(id) || this.#resync.onPong(id)) return;
    this.#heartbeat.pong(id);
  }

  /** The server accepted a token refresh. */
  onRefreshed(): void {
    this.#options.token.onRefreshed();
  }

  /**
   * An `error` frame. After `rate_limited` the drain ping finds out what the server dropped
   * unread; one answering a frame (its `id`) settles what waited for that frame.
   */
  onError({ id: frameId, code, message }: ErrorFrame): void {
    if (code === ErrorCode.RateLimited) this.#drain.rateLimited();
    if (frameId === undefined) return;
    const id = String(frameId);
    const { pending, channels, token } = this.#options;
    if (pending.answerPublish(id, { ok: false, code, message })) return;
    if (channels.onRefused(id, { ok: false, code, message })) return;
    if (this.#resync.onRefused(id) || this.#drain.onRefused(id) || token.onRefused(id, code)) return;
    // A heartbeat ping answered with an error (rate_limited) still proves the connection alive.
    this.#heartbeat.pong(id);
  }
}
