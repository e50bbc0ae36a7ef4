/**
 * NexusWebSocket: the Nexus client for browsers and Node.js.
 *
 * States (every transition emits `state` with `{ previous, next, reason }`; the allowed ones are
 * the table in `connection-states.ts`, whose comment draws them):
 * idle → connecting → open → reconnecting → connecting …; `failed` on a terminal failure, `closed`
 * after `disconnect()`. What a close leads to is `decideClose` (close-decision.ts).
 *
 * Reconnects use exponential backoff with full jitter — except after a close 1012 (service
 * restart), where the first retry comes within a random delay of at most
 * `Defaults.restartRetryMaxDelayMs`, so a restarted server has its clients back within seconds,
 * spread out. Subscriptions are remembered with their filters and re-sent once each after a
 * reconnect with `since`/`epoch`, so missed messages are replayed and no `seq` is delivered twice. Publishes made while offline wait in a bounded queue.
 * An application-level ping detects dead connections that the socket does not report.
 *
 * This file is the one state machine of the client, kept whole so every transition reads in
 * one place; the parts that stand alone have their own modules: backoff, offline queue,
 * heartbeat, subscription registry, token, pending requests and transport.
 */
// Direct module imports (not the protocol index): the browser bundle takes only what the client
// uses, and none of the server's zod schemas.
import { CloseCode, ErrorCode } from './protocol/codes.js';
import type { Filters } from './protocol/filters.js';
import { Action, FrameType, decodeServerFrame, type DeliveryFrame, type ServerFrame } from './protocol/frames.js';
import { Defaults, Limits } from './protocol/limits.js';
import { backoffDelayMs, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { decideClose, type TerminalCode } from './close-decision.js';
import { canTransition } from './connection-states.js';
import { Emitter } from './emitter.js';
import {
  ClientErrorCode,
  type ChannelListener,
  type ClientEvents,
  type ConnectionState,
  type PublishResult,
  type SubscribeResult,
} from './events.js';
import { HeldDeliveries } from './held-deliveries.js';
import { Heartbeat } from './heartbeat.js';
import { OfflineQueue } from './offline-queue.js';
import { PendingRequests, type RequestFailure } from './pending-requests.js';
import { SubscriptionRegistry, type ClientSubscription } from './subscriptions.js';
import { refreshDelayMs, resolveToken, tokenExpirySeconds, type TokenProvider } from './token.js';
import {
  browserNetwork,
  closeQuietly,
  withToken,
  type NetworkMonitor,
  type WebSocketConstructor,
  type WebSocketLike,
} from './transport.js';

export type { NetworkMonitor, WebSocketConstructor, WebSocketLike } from './transport.js';

/** Options of `NexusWebSocket`; every one has a sensible default. */
export interface NexusWebSocketOptions extends Partial<BackoffOptions> {
  /**
   * WebSocket implementation; defaults to `globalThis.WebSocket` (browsers, Node ≥ 22). The
   * package's Node entry passes the `ws` package.
   */
  readonly WebSocket?: WebSocketConstructor;
  /** Reconnect attempts before giving up (`reconnect_failed`); default unlimited. */
  readonly maxAttempts?: number;
  /** A connection open this long resets the attempt counter; default 5000 ms. */
  readonly stableAfterMs?: number;
  /** Time allowed from socket creation to the server's `connected` frame; default 10000 ms. */
  readonly connectTimeoutMs?: number;
  /** Period of the application-level heartbeat ping; default 15000 ms. */
  readonly pingIntervalMs?: number;
  /** A ping unanswered this long means the connection is dead (reconnect); default 10000 ms. */
  readonly pongTimeoutMs?: number;
  /** Publishes kept while offline (oldest dropped first, with `queue_overflow`); default 1000. */
  readonly offlineQueueSize?: number;
  /** Refresh a token this long before it expires (less for short-lived tokens); default 30000 ms. */
  readonly refreshMarginMs?: number;
  /** Open the connection from the constructor; default false: nothing happens until `connect()`. */
  readonly autoConnect?: boolean;
  /** Online/offline signal; defaults to the browser's (`navigator.onLine`), none in Node. */
  readonly network?: NetworkMonitor;
  /** Random source of the backoff jitter (tests); default `Math.random`. */
  readonly random?: () => number;
  /** Clock (tests); default `Date.now`. */
  readonly now?: () => number;
}

const OPEN = 1;
const UPGRADE_STATUS = /Unexpected server response: (\d{3})/;
const HEARTBEAT_CLOSE_CODE = 4000;
const REFRESH_RETRY_MS = 5000;
/** A resync ping the server dropped (rate limited) is sent again after this long. */
const SYNC_RETRY_MS = 1000;
/**
 * After a `rate_limited`, a ping goes out this long later (past the longest time the server does
 * not read a connection over its rate): its pong settles the publishes the server dropped unread.
 */
const DRAIN_PING_DELAY_MS = Limits.floodCloseAfterMs + 500;
/** The ping sent after a rate limit, with what was waiting when it went out. */
interface DrainPing {
  readonly pingId: string;
  readonly publishIds: readonly string[];
  readonly syncPingId?: string;
}

/** How a publish the server dropped unread (its connection over its rate) settles. */
const DROPPED_UNREAD: RequestFailure = {
  ok: false,
  code: ErrorCode.RateLimited,
  message: 'dropped unread: the connection was over its rate and not read for a while',
};
/** Error codes by which the server refuses a subscription for good: it is not re-sent. */
const SUBSCRIPTION_REFUSALS: ReadonlySet<string> = new Set<ErrorCode>([
  ErrorCode.InvalidMessage,
  ErrorCode.Forbidden,
  ErrorCode.TooManySubscriptions,
]);

interface QueuedPublish {
  readonly frame: { action: 'publish'; id: string; channel: string; payload: unknown };
  readonly settle: (result: PublishResult) => void;
}

/** The Nexus client. See the state diagram above. */
export class NexusWebSocket {
  readonly #url: string;
  readonly #tokenProvider: TokenProvider;
  readonly #WebSocket: WebSocketConstructor;
  readonly #backoff: BackoffOptions;
  readonly #maxAttempts: number;
  readonly #stableAfterMs: number;
  readonly #connectTimeoutMs: number;
  readonly #refreshMarginMs: number;
  readonly #random: () => number;
  readonly #now: () => number;
  readonly #network: NetworkMonitor | undefined;
  readonly #emitter = new Emitter<ClientEvents>();
  readonly #channelListeners = new Map<string, Set<ChannelListener>>();
  readonly #registry = new SubscriptionRegistry();
  readonly #queue: OfflineQueue<QueuedPublish>;
  readonly #heartbeat: Heartbeat;
  readonly #pending = new PendingRequests();

  #state: ConnectionState = 'idle';
  #socket: WebSocketLike | undefined;
  #generation = 0;
  #attempt = 0;
  #token: string | undefined;
  /** An in-band refresh sent and not yet answered: the token counts once the server accepts it. */
  #refreshing: { readonly id: string; readonly token: string } | undefined;
  /** While resubscribing after a reconnect, deliveries wait here to be released in order. */
  #resync: { readonly pingId: string; readonly held: HeldDeliveries } | undefined;
  /** The token the server refused last, and how a failure with it again is named. */
  #refused: { readonly token: string | undefined; readonly as: TerminalCode } | undefined;
  #upgradeStatus: number | undefined;
  #nextRetryAt: number | undefined;
  #rttMs: number | undefined;
  #requestCounter = 0;
  #timers: Partial<
    Record<'reconnect' | 'stable' | 'connect' | 'refresh' | 'sync' | 'drain', ReturnType<typeof setTimeout>>
  > = {};
  /** The ping sent after a rate limit, with what was waiting when it went out. */
  #drain: DrainPing | undefined;
  #offOnline: (() => void) | undefined;

  constructor(url: string, token: TokenProvider, options: NexusWebSocketOptions = {}) {
    const Impl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!Impl)
      throw new Error(
        'NexusWebSocket: no WebSocket implementation; pass options.WebSocket (e.g. the default export of "ws")',
      );
    this.#url = url;
    this.#tokenProvider = token;
    this.#WebSocket = Impl;
    this.#backoff = {
      initialDelayMs: options.initialDelayMs ?? DEFAULT_BACKOFF.initialDelayMs,
      maxDelayMs: options.maxDelayMs ?? DEFAULT_BACKOFF.maxDelayMs,
      factor: options.factor ?? DEFAULT_BACKOFF.factor,
    };
    this.#maxAttempts = options.maxAttempts ?? Infinity;
    this.#stableAfterMs = options.stableAfterMs ?? 5000;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.#refreshMarginMs = options.refreshMarginMs ?? 30_000;
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
    this.#network = options.network ?? browserNetwork();
    this.#queue = new OfflineQueue(options.offlineQueueSize ?? 1000);
    this.#heartbeat = new Heartbeat({
      pingIntervalMs: options.pingIntervalMs ?? 15_000,
      pongTimeoutMs: options.pongTimeoutMs ?? 10_000,
      now: this.#now,
      sendPing: (id) => this.#sendFrame({ action: Action.Ping, id }),
      onDead: () => this.#abandonSocket(CloseCode.Abnormal, 'heartbeat timeout'),
      onRtt: (rttMs) => {
        this.#rttMs = rttMs;
        this.#emitter.emit('rtt', { rttMs });
      },
    });
    if (options.autoConnect) this.connect();
  }

  // ---- public API ----------------------------------------------------------------------------

  /** The connection state: idle, connecting, open, reconnecting, closed or failed. */
  get state(): ConnectionState {
    return this.#state;
  }

  /** Last measured heartbeat round-trip time. */
  get rttMs(): number | undefined {
    return this.#rttMs;
  }

  /** Reconnect attempts since the last stable connection. */
  get attempt(): number {
    return this.#attempt;
  }

  /** When the next reconnect attempt is due (ms since the epoch), while reconnecting. */
  get nextRetryAt(): number | undefined {
    return this.#state === 'reconnecting' ? this.#nextRetryAt : undefined;
  }

  /** Publishes waiting in the offline queue. */
  get queuedCount(): number {
    return this.#queue.size;
  }

  /** The remembered subscriptions (re-sent after every reconnect). */
  get subscriptions(): readonly ClientSubscription[] {
    return this.#registry.all();
  }

  /** Opens the connection (from idle, closed or failed); reconnects by itself afterwards. */
  connect(): void {
    if (this.#state === 'connecting' || this.#state === 'open' || this.#state === 'reconnecting') return;
    this.#attempt = 0;
    this.#refused = undefined;
    this.#offOnline ??= this.#network?.onOnline(() => this.#onOnline());
    void this.#open('connect');
  }

  /**
   * Reconnects at once: skips the current backoff wait (while `reconnecting`), or opens the
   * connection again from `closed` or `failed`. Does nothing while `connecting` or `open`.
   */
  reconnectNow(): void {
    if (this.#state === 'connecting' || this.#state === 'open') return;
    if (this.#state !== 'reconnecting') return this.connect();
    clearTimeout(this.#timers.reconnect);
    void this.#open('reconnect now');
  }

  /** Closes the connection for good: no reconnect until `connect()` is called again. */
  disconnect(): void {
    this.#generation++;
    this.#clearTimers();
    this.#heartbeat.stop();
    this.#offOnline?.();
    this.#offOnline = undefined;
    const socket = this.#socket;
    this.#socket = undefined;
    const wasOpen = this.#state === 'open';
    if (this.#state !== 'closed') this.#transition('closed', 'disconnect()');
    if (socket) closeQuietly(socket, CloseCode.Normal, 'client disconnect');
    this.#settleAll(ClientErrorCode.Closed, 'disconnect() was called');
    if (wasOpen)
      this.#emitter.emit('disconnected', { code: CloseCode.Normal, reason: 'client disconnect', willReconnect: false });
  }

  /**
   * Subscribes to a channel with optional filters; remembered and re-sent after reconnects.
   * Resolves with the server's first answer, never rejects: `{ ok: true, seq, epoch }` or the
   * `error` frame's code. A subscription refused for good (`invalid_message`, `forbidden`,
   * `too_many_subscriptions`) is forgotten; one that failed for now (`rate_limited`,
   * `history_unavailable`) stays remembered and is sent again after the next reconnect.
   */
  subscribe(channel: string, filters?: Filters): Promise<SubscribeResult> {
    const subscription = this.#registry.add(channel, filters);
    // The same subscription again: it exists already; answer with the channel's position.
    if (!subscription)
      return Promise.resolve({ ok: true, ...(this.#registry.position(channel) ?? { seq: 0, epoch: '' }) });
    const result = this.#pending.waitForSubscribe(subscription.key);
    if (this.#state === 'open') this.#sendSubscribe(subscription);
    return result;
  }

  /** Removes every subscription of a channel. */
  unsubscribe(channel: string): void {
    this.#registry.removeChannel(channel);
    if (this.#state === 'open') this.#sendFrame({ action: Action.Unsubscribe, channel, id: this.#nextId('u') });
  }

  /**
   * Publishes a payload. Resolves — never rejects — with the ack `{ ok: true, seq, epoch,
   * channel }` or with `{ ok: false, code, message }`. A publish the server refused settles with
   * the code of its `error` frame, and nothing was delivered: `rate_limited`, `unavailable`,
   * `forbidden`, `invalid_command`, `not_found`, `invalid_message`. The client's own codes:
   * `disconnected` (the connection closed first: the publish may or may not have landed),
   * `queue_overflow`, `closed` (`disconnect()`), `send_failed`, or the code of a terminal failure (`auth_refused`, `policy_violation`, …). While offline the
   * publish waits in the bounded queue.
   */
  publish(channel: string, payload: unknown): Promise<PublishResult> {
    return new Promise((settle) => {
      const item: QueuedPublish = {
        frame: { action: Action.Publish, id: this.#nextId('p'), channel, payload },
        settle,
      };
      if (this.#state === 'open' && this.#socket?.readyState === OPEN) return this.#sendPublish(item);
      const dropped = this.#queue.push(item);
      if (dropped.length === 0) return;
      for (const old of dropped)
        old.settle({ ok: false, code: ClientErrorCode.QueueOverflow, message: 'dropped from the full offline queue' });
      this.#emitter.emit('queue_overflow', { dropped: dropped.length, capacity: this.#queue.capacity });
    });
  }

  /** Sends a heartbeat ping now (e.g. when a hidden tab becomes visible again). */
  checkLiveness(): void {
    if (this.#state === 'open') this.#heartbeat.pingNow();
  }

  /**
   * Listens to a client event (`state`, `connected`, `message`, …) or, for any other name, to
   * the messages of the channel with that name. Returns the function that removes the listener.
   */
  on<K extends keyof ClientEvents>(event: K, listener: (context: ClientEvents[K]) => void): () => void;
  on(channel: string, listener: ChannelListener): () => void;
  on(event: string, listener: (...args: never[]) => void): () => void {
    if (CLIENT_EVENTS.has(event)) return this.#emitter.on(event as keyof ClientEvents, listener as never);
    return this.onChannel(event, listener as ChannelListener);
  }

  /** Listens to a channel's messages, even one named like a client event. */
  onChannel(channel: string, listener: ChannelListener): () => void {
    let set = this.#channelListeners.get(channel);
    if (!set) {
      set = new Set();
      this.#channelListeners.set(channel, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  // ---- connection lifecycle ------------------------------------------------------------------

  /** The one place the state changes; a change the table does not allow is a bug, and throws. */
  #transition(next: ConnectionState, reason: string): void {
    const previous = this.#state;
    if (previous === next) return;
    if (!canTransition(previous, next))
      throw new Error(`NexusWebSocket: ${previous} → ${next} is not an allowed transition (${reason})`);
    this.#state = next;
    this.#emitter.emit('state', { previous, next, reason });
  }

  async #open(reason: string): Promise<void> {
    const generation = ++this.#generation;
    this.#transition('connecting', reason);
    let token: string;
    try {
      token = await resolveToken(this.#tokenProvider);
    } catch (error) {
      if (generation !== this.#generation) return;
      this.#emitError(ClientErrorCode.SendFailed, `token provider failed: ${(error as Error)?.message ?? error}`);
      return this.#scheduleReconnect('token provider failed');
    }
    if (generation !== this.#generation) return;
    if (this.#refused && token === this.#refused.token)
      return this.#fail(this.#refused.as, 'the token provider returned the token the server refused');
    this.#token = token;
    this.#upgradeStatus = undefined;
    let socket: WebSocketLike;
    try {
      socket = new this.#WebSocket(withToken(this.#url, token));
    } catch (error) {
      return this.#fail(ClientErrorCode.InvalidUrl, `cannot open ${this.#url}: ${(error as Error)?.message ?? error}`);
    }
    this.#socket = socket;
    this.#attach(socket, generation);
    this.#timers.connect = setTimeout(
      () => this.#abandonSocket(CloseCode.Abnormal, 'connect timeout'),
      this.#connectTimeoutMs,
    );
  }

  #attach(socket: WebSocketLike, generation: number): void {
    const current = () => generation === this.#generation;
    socket.onopen = null;
    socket.onmessage = (event) => current() && this.#onData(event.data);
    socket.onerror = (event) => {
      const status = UPGRADE_STATUS.exec(event?.message ?? '');
      if (current() && status) this.#upgradeStatus = Number(status[1]);
    };
    socket.onclose = (event) => current() && this.#onClosed(event.code, event.reason);
  }

  /** Gives up on a socket that stopped answering: reconnect without waiting for its close. */
  #abandonSocket(code: number, reason: string): void {
    const socket = this.#socket;
    this.#generation++;
    if (socket) closeQuietly(socket, HEARTBEAT_CLOSE_CODE, reason);
    this.#onClosed(code, reason);
  }

  #onClosed(code: number, reason: string): void {
    const wasOpen = this.#state === 'open';
    this.#socket = undefined;
    // Held deliveries were not accepted: their seqs are replayed again after the next reconnect.
    this.#resync = undefined;
    this.#refreshing = undefined;
    this.#drain = undefined;
    this.#heartbeat.stop();
    this.#clearTimers();
    this.#pending.connectionLost(
      failure(ClientErrorCode.Disconnected, `connection closed (${code}) before the server answered`),
    );
    const decision = decideClose(code, {
      ...(this.#upgradeStatus === undefined ? {} : { upgradeStatus: this.#upgradeStatus }),
      renewableToken: typeof this.#tokenProvider === 'function',
    });
    const willReconnect = decision.retry && this.#attempt < this.#maxAttempts;
    if (wasOpen) this.#emitter.emit('disconnected', { code, reason, willReconnect });
    if (!decision.retry) return this.#fail(decision.code, decision.reason);
    if (decision.newToken) this.#refused = { token: this.#token, as: decision.newToken.refusedAs };
    this.#scheduleReconnect(decision.reason, decision.delay === 'restart');
  }

  #scheduleReconnect(reason: string, restart = false): void {
    if (this.#attempt >= this.#maxAttempts)
      return this.#fail(ClientErrorCode.Unreachable, `gave up after ${this.#attempt} attempts (${reason})`);
    const delayMs = this.#retryDelayMs(restart);
    this.#attempt++;
    this.#nextRetryAt = this.#now() + delayMs;
    this.#transition('reconnecting', reason);
    this.#emitter.emit('reconnecting', { attempt: this.#attempt, delayMs, nextRetryAt: this.#nextRetryAt });
    // Offline: no retry spin; the `online` event reconnects.
    if (this.#network && !this.#network.isOnline()) return;
    this.#timers.reconnect = setTimeout(() => void this.#open(`retry ${this.#attempt}`), delayMs);
  }

  /**
   * Full-jitter backoff; right after a service restart (1012) a uniform random delay below
   * `Defaults.restartRetryMaxDelayMs` instead: the server is coming back, and clients spread out.
   */
  #retryDelayMs(restart: boolean): number {
    if (restart) return Math.floor(this.#random() * Defaults.restartRetryMaxDelayMs);
    return backoffDelayMs(this.#attempt, this.#backoff, this.#random);
  }

  #onOnline(): void {
    if (this.#state !== 'reconnecting') return;
    clearTimeout(this.#timers.reconnect);
    void this.#open('network online');
  }

  /** A terminal failure: `code` names its kind, and what still waits settles with it. */
  #fail(code: TerminalCode, reason: string): void {
    this.#clearTimers();
    this.#emitter.emit('reconnect_failed', { attempts: this.#attempt, reason, code });
    this.#transition('failed', reason);
    this.#settleAll(code, reason);
  }

  #onWelcome(frame: Extract<ServerFrame, { type: 'connected' }>): void {
    clearTimeout(this.#timers.connect);
    this.#refused = undefined;
    this.#transition('open', 'connected');
    this.#timers.stable = setTimeout(() => (this.#attempt = 0), this.#stableAfterMs);
    this.#heartbeat.start();
    this.#resubscribeAll();
    for (const item of this.#queue.drain()) this.#sendPublish(item);
    this.#scheduleRefresh();
    const { connectionId, userId, role, heartbeatMs } = frame;
    this.#emitter.emit('connected', { connectionId, userId, role, heartbeatMs });
  }

  #scheduleRefresh(): void {
    clearTimeout(this.#timers.refresh);
    const exp = this.#token === undefined ? undefined : tokenExpirySeconds(this.#token);
    if (exp === undefined || typeof this.#tokenProvider === 'string') return;
    const delayMs = refreshDelayMs(exp, this.#now(), this.#refreshMarginMs);
    this.#timers.refresh = setTimeout(() => void this.#refresh(), delayMs);
  }

  async #refresh(): Promise<void> {
    const generation = this.#generation;
    let token: string;
    try {
      token = await resolveToken(this.#tokenProvider);
    } catch (error) {
      return this.#emitError(
        ClientErrorCode.SendFailed,
        `token provider failed: ${(error as Error)?.message ?? error}`,
      );
    }
    if (generation !== this.#generation || this.#state !== 'open') return;
    if (token === this.#token) {
      // Nothing newer yet: ask again a little later, while the token is still valid.
      this.#timers.refresh = setTimeout(() => void this.#refresh(), REFRESH_RETRY_MS);
      return;
    }
    // The new token counts only once the server accepts it (`refreshed`).
    const id = this.#nextId('r');
    this.#refreshing = { id, token };
    this.#sendFrame({ action: Action.Refresh, token, id });
  }

  // ---- frames in -----------------------------------------------------------------------------

  #onData(data: unknown): void {
    if (typeof data !== 'string' && !(data instanceof Uint8Array)) return;
    // Strict: a frame that is not JSON, or not a server frame of the protocol, is reported and dropped.
    const frame = decodeServerFrame(typeof data === 'string' ? data : new TextDecoder().decode(data));
    if (!frame)
      return this.#emitError(ClientErrorCode.SendFailed, 'the server sent a frame that is not a protocol frame');
    switch (frame.type) {
      case FrameType.Connected:
        return this.#onWelcome(frame);
      case FrameType.Message:
      case FrameType.Broadcast:
        return this.#onDelivery(frame);
      case FrameType.Subscribed:
        return this.#onSubscribed(frame);
      case FrameType.Ack: {
        const { seq, channel, epoch } = frame;
        this.#pending.ackedInOrder(String(frame.id), DROPPED_UNREAD);
        this.#pending.answerPublish(String(frame.id), {
          ok: true,
          seq,
          channel,
          ...(epoch === undefined ? {} : { epoch }),
        });
        return;
      }
      case FrameType.Pong:
        if (this.#drain && frame.id === this.#drain.pingId) return this.#drained(this.#drain);
        if (this.#resync && frame.id === this.#resync.pingId) return this.#releaseResync();
        this.#heartbeat.pong(frame.id);
        return;
      case FrameType.Refreshed:
        if (this.#refreshing) this.#token = this.#refreshing.token;
        this.#refreshing = undefined;
        return this.#scheduleRefresh();
      case FrameType.Error:
        return this.#onErrorFrame(frame);
    }
  }

  /**
   * Re-sends every subscription once, then a ping. The server handles a connection's frames in
   * order, so its pong comes after every replay: until then deliveries are held, then released
   * per channel in (epoch, seq) order — replays of several subscriptions interleave into one
   * ordered stream per channel, without loss or duplicates.
   */
  #resubscribeAll(): void {
    const subscriptions = this.#registry.all();
    this.#resync = undefined;
    if (subscriptions.length === 0) return;
    for (const subscription of subscriptions) this.#sendSubscribe(subscription);
    this.#sendSyncPing(new HeldDeliveries());
  }

  #sendSyncPing(held: HeldDeliveries): void {
    const pingId = this.#nextId('sync');
    this.#resync = { pingId, held };
    this.#sendFrame({ action: Action.Ping, id: pingId });
  }

  /** The server dropped the sync ping unanswered (rate limited): ask again once it has room. */
  #retrySync(held: HeldDeliveries): void {
    clearTimeout(this.#timers.sync);
    this.#timers.sync = setTimeout(() => this.#resync?.held === held && this.#sendSyncPing(held), SYNC_RETRY_MS);
  }

  #releaseResync(): void {
    const held = this.#resync?.held;
    this.#resync = undefined;
    clearTimeout(this.#timers.sync);
    const generation = this.#generation;
    for (const frame of held?.drain() ?? []) {
      // A listener called disconnect(): the rest is neither delivered nor recorded as delivered.
      if (generation !== this.#generation) return;
      this.#onDelivery(frame);
    }
  }

  #onDelivery(frame: DeliveryFrame): void {
    if (this.#resync) return this.#resync.held.add(frame);
    const known = this.#registry.position(frame.channel);
    if (!this.#registry.accept(frame.channel, frame.seq, frame.epoch)) return;
    // The numbering restarted under a new epoch while connected (e.g. Redis lost its data):
    // whatever was published in between is unknown, which is a gap.
    if (known && known.epoch !== frame.epoch)
      this.#emitter.emit('gap', { channel: frame.channel, since: known.seq, seq: frame.seq, epoch: frame.epoch });
    this.#emitter.emit('message', { channel: frame.channel, data: frame.data, frame });
    const listeners = this.#channelListeners.get(frame.channel);
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

  #onSubscribed(frame: Extract<ServerFrame, { type: 'subscribed' }>): void {
    const since = this.#registry.position(frame.channel)?.seq;
    if (frame.recovered === false)
      this.#emitter.emit('gap', { channel: frame.channel, since, seq: frame.seq, epoch: frame.epoch });
    this.#registry.subscribed(frame.channel, frame.seq, frame.epoch, frame.recovered);
    const { channel, seq, epoch, recovered } = frame;
    this.#emitter.emit('subscribed', { channel, seq, epoch, ...(recovered === undefined ? {} : { recovered }) });
    const key = frame.id === undefined ? undefined : this.#pending.takeSubscribeKey(String(frame.id));
    if (key === undefined) return;
    this.#pending.answerSubscribe(key, { ok: true, seq, epoch, ...(recovered === undefined ? {} : { recovered }) });
  }

  #onErrorFrame(frame: Extract<ServerFrame, { type: 'error' }>): void {
    if (frame.code === ErrorCode.RateLimited) this.#scheduleDrainPing();
    if (frame.id !== undefined) this.#settleRefused(String(frame.id), failure(frame.code, frame.message));
    this.#emitError(frame.code, frame.message, frame.id);
  }

  /**
   * A connection far over its rate is not read for a while, and the frames it sent meanwhile are
   * dropped without an answer. Once that time is surely over, a ping finds out which: the server
   * answers in order, so what still waits when its pong comes was dropped.
   */
  #scheduleDrainPing(): void {
    clearTimeout(this.#timers.drain);
    this.#timers.drain = setTimeout(() => {
      const publishIds = this.#pending.waitingPublishes();
      const syncPingId = this.#resync?.pingId;
      if (publishIds.length === 0 && syncPingId === undefined) return;
      const pingId = this.#nextId('d');
      this.#drain = { pingId, publishIds, ...(syncPingId === undefined ? {} : { syncPingId }) };
      this.#sendFrame({ action: Action.Ping, id: pingId });
    }, DRAIN_PING_DELAY_MS);
  }

  #drained(drain: DrainPing): void {
    this.#drain = undefined;
    this.#pending.dropped(drain.publishIds, DROPPED_UNREAD);
    // A resync ping dropped unread would hold deliveries for good: send it again.
    const resync = this.#resync;
    if (resync && resync.pingId === drain.syncPingId) this.#sendSyncPing(resync.held);
  }

  /** The server answered one of the client's frames with an error: what waited for it settles. */
  #settleRefused(id: string, refused: RequestFailure): void {
    if (this.#pending.answerPublish(id, refused)) return;
    const key = this.#pending.takeSubscribeKey(id);
    if (key !== undefined) {
      if (SUBSCRIPTION_REFUSALS.has(refused.code)) this.#registry.remove(key);
      return this.#pending.answerSubscribe(key, refused);
    }
    if (this.#resync && id === this.#resync.pingId) return this.#retrySync(this.#resync.held);
    if (this.#drain && id === this.#drain.pingId) return (this.#drain = undefined);
    if (this.#refreshing && id === this.#refreshing.id) return this.#onRefreshRefused(refused.code);
    // A heartbeat ping answered with an error (rate_limited) still proves the connection alive.
    this.#heartbeat.pong(id);
  }

  /**
   * A refresh dropped unread (rate limited) is tried again shortly; one refused (`forbidden`)
   * is not: at `exp` the server closes with 4001 and the reconnect asks the provider again.
   */
  #onRefreshRefused(code: ErrorCode | ClientErrorCode): void {
    this.#refreshing = undefined;
    if (code !== ErrorCode.RateLimited) return;
    clearTimeout(this.#timers.refresh);
    this.#timers.refresh = setTimeout(() => void this.#refresh(), REFRESH_RETRY_MS);
  }

  // ---- frames out ----------------------------------------------------------------------------

  #sendSubscribe(subscription: ClientSubscription): void {
    const id = this.#nextId('s');
    this.#pending.subscribeSent(id, subscription.key);
    const position = this.#registry.position(subscription.channel);
    this.#sendFrame({
      action: Action.Subscribe,
      id,
      channel: subscription.channel,
      ...(subscription.filters ? { filters: subscription.filters } : {}),
      ...(position ? { since: position.seq, epoch: position.epoch } : {}),
    });
  }

  #sendPublish(item: QueuedPublish): void {
    this.#pending.publishSent(item.frame.id, item.settle);
    if (!this.#sendFrame(item.frame))
      this.#pending.answerPublish(item.frame.id, failure(ClientErrorCode.SendFailed, 'the frame could not be sent'));
  }

  #sendFrame(frame: object): boolean {
    const socket = this.#socket;
    if (!socket || socket.readyState !== OPEN) return false;
    try {
      socket.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  // ---- bookkeeping ---------------------------------------------------------------------------

  #nextId(prefix: string): string {
    return `${prefix}${++this.#requestCounter}`;
  }

  #settleAll(code: ClientErrorCode, message: string): void {
    const why = failure(code, message);
    this.#pending.failAll(why);
    for (const item of this.#queue.drain()) item.settle(why);
  }

  #emitError(code: ErrorCode | ClientErrorCode, message: string, id?: string | number): void {
    this.#emitter.emit('error', { code, message, ...(id === undefined ? {} : { id }) });
  }

  #clearTimers(): void {
    for (const timer of Object.values(this.#timers)) clearTimeout(timer);
    this.#timers = {};
  }
}

const CLIENT_EVENTS: ReadonlySet<string> = new Set<keyof ClientEvents>([
  'state',
  'connected',
  'disconnected',
  'reconnecting',
  'reconnect_failed',
  'error',
  'message',
  'gap',
  'subscribed',
  'queue_overflow',
  'rtt',
]);

function failure(code: ErrorCode | ClientErrorCode, message: string): RequestFailure {
  return { ok: false, code, message };
}
