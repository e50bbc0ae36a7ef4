/**
 * NexusWebSocket: the Nexus client for browsers and Node.js.
 *
 * This file is its connection state machine: idle → connecting → open → reconnecting →
 * connecting …, `failed` on a terminal failure, `closed` after `disconnect()`. Every change goes
 * through `#transition`, checked against the table of connection-states.ts; what a close leads to
 * is `decideClose` (close-decision.ts). Each state carries what only it has: `open` its
 * `OpenConnection` (heartbeat, resync of the subscriptions, token refresh, drain ping:
 * open-connection.ts), `reconnecting` when the next attempt is due (backoff with full jitter, or a
 * short random delay after a service restart, 1012). Subscriptions live in channels.ts, publishes
 * waiting for a connection in outbox.ts, the token in token-refresh.ts.
 */
// Direct module imports (not the protocol index): the browser bundle takes only what the client
// uses, and none of the server's zod schemas.
import { CloseCode, ErrorCode } from './protocol/codes.js';
import type { Filters } from './protocol/filters.js';
import { Action, FrameType, decodeServerFrame, type ServerFrame } from './protocol/frames.js';
import { Defaults } from './protocol/limits.js';
import { retryDelayMs } from './backoff.js';
import { Channels } from './channels.js';
import { decideClose, type TerminalCode } from './close-decision.js';
import { canTransition } from './connection-states.js';
import { Emitter } from './emitter.js';
import { CLIENT_EVENT_NAMES, ClientErrorCode, type ChannelListener, type ClientEvents } from './events.js';
import type { ConnectionState, PublishResult, ServerHealth, SubscribeOptions, SubscribeResult } from './events.js';
import { OpenConnection } from './open-connection.js';
import { settings, type NexusWebSocketOptions, type Settings } from './options.js';
import { Outbox } from './outbox.js';
import { PendingRequests, requestFailure as failure } from './pending-requests.js';
import type { ClientSubscription } from './subscriptions.js';
import type { TokenProvider } from './token.js';
import { providerFailure, TokenRefresh } from './token-refresh.js';
import { ClientSocket } from './transport.js';

export type { NexusWebSocketOptions } from './options.js';
export type { NetworkMonitor, WebSocketConstructor, WebSocketLike } from './transport.js';

const HEARTBEAT_CLOSE_CODE = 4000;
const RESTART = { restartMaxDelayMs: Defaults.restartRetryMaxDelayMs };
/** The names `on()` takes as client events; any other name is a channel's. */
const CLIENT_EVENTS: ReadonlySet<string> = new Set(CLIENT_EVENT_NAMES);

/** The connection state, with what only that state has. */
type Phase =
  | { readonly state: 'idle' | 'connecting' | 'closed' | 'failed' }
  | { readonly state: 'open'; readonly connection: OpenConnection }
  | { readonly state: 'reconnecting'; readonly nextRetryAt: number };

/** The Nexus client. See the state diagram above. */
export class NexusWebSocket {
  readonly #url: string;
  readonly #settings: Settings;
  readonly #emitter = new Emitter<ClientEvents>();
  readonly #pending = new PendingRequests();
  readonly #channels = new Channels(this.#emitter, this.#pending);
  readonly #outbox: Outbox;
  readonly #token: TokenRefresh;

  #phase: Phase = { state: 'idle' };
  /** The socket of the current attempt (connecting or open). */
  #socket: ClientSocket | undefined;
  /** Counts sockets: events of an older one are ignored. */
  #generation = 0;
  #attempt = 0;
  #rttMs: number | undefined;
  #requestCounter = 0;
  #timers: Partial<Record<'reconnect' | 'stable' | 'connect', ReturnType<typeof setTimeout>>> = {};
  #offOnline: (() => void) | undefined;

  constructor(url: string, token: TokenProvider, options: NexusWebSocketOptions = {}) {
    this.#url = url;
    this.#settings = settings(options);
    this.#outbox = new Outbox({
      capacity: this.#settings.offlineQueueSize,
      pending: this.#pending,
      send: (frame) => this.#sendFrame(frame),
      onOverflow: (dropped, capacity) => this.#emitter.emit('queue_overflow', { dropped, capacity }),
    });
    this.#token = new TokenRefresh({
      provider: token,
      marginMs: this.#settings.refreshMarginMs,
      now: this.#settings.now,
      nextId: (prefix) => this.#nextId(prefix),
      sendRefresh: (token, id) => this.#sendFrame({ action: Action.Refresh, token, id }),
      onProviderError: (message) => this.#emitError(ClientErrorCode.SendFailed, message),
    });
    if (options.autoConnect) this.connect();
  }

  // ---- public API ----------------------------------------------------------------------------

  /** The connection state: idle, connecting, open, reconnecting, closed or failed. */
  get state(): ConnectionState {
    return this.#phase.state;
  }

  /** Last measured heartbeat round-trip time. */
  get rttMs(): number | undefined {
    return this.#rttMs;
  }

  /** The server's health as it told this connection (`health`); undefined until then, and while not connected. */
  get serverHealth(): ServerHealth | undefined {
    return this.#connection?.health;
  }

  /** Reconnect attempts since the last stable connection. */
  get attempt(): number {
    return this.#attempt;
  }

  /** When the next reconnect attempt is due (ms since the epoch), while reconnecting. */
  get nextRetryAt(): number | undefined {
    return this.#phase.state === 'reconnecting' ? this.#phase.nextRetryAt : undefined;
  }

  /** Publishes waiting in the offline queue. */
  get queuedCount(): number {
    return this.#outbox.queued;
  }

  /** The remembered subscriptions (re-sent after every reconnect). */
  get subscriptions(): readonly ClientSubscription[] {
    return this.#channels.registry.all();
  }

  /** Opens the connection (from idle, closed or failed); reconnects by itself afterwards. */
  connect(): void {
    if (this.state === 'connecting' || this.state === 'open' || this.state === 'reconnecting') return;
    this.#attempt = 0;
    this.#token.forgiveRefusal();
    this.#offOnline ??= this.#settings.network?.onOnline(() => this.#onOnline());
    void this.#open('connect');
  }

  /**
   * Reconnects at once: skips the current backoff wait (while `reconnecting`), or opens the
   * connection again from `closed` or `failed`. Does nothing while `connecting` or `open`.
   */
  reconnectNow(): void {
    if (this.state === 'connecting' || this.state === 'open') return;
    if (this.state !== 'reconnecting') return this.connect();
    clearTimeout(this.#timers.reconnect);
    void this.#open('reconnect now');
  }

  /** Closes the connection for good: no reconnect until `connect()` is called again. */
  disconnect(): void {
    this.#generation++;
    this.#clearTimers();
    this.#connection?.end();
    this.#offOnline?.();
    this.#offOnline = undefined;
    const socket = this.#socket;
    this.#socket = undefined;
    const wasOpen = this.state === 'open';
    if (this.state !== 'closed') this.#transition({ state: 'closed' }, 'disconnect()');
    socket?.close(CloseCode.Normal, 'client disconnect');
    this.#settleAll(ClientErrorCode.Closed, 'disconnect() was called');
    if (wasOpen)
      this.#emitter.emit('disconnected', { code: CloseCode.Normal, reason: 'client disconnect', willReconnect: false });
  }

  /**
   * Subscribes to a channel with optional filters; remembered and re-sent after reconnects.
   * Resolves with the server's first answer, never rejects: `{ ok: true, seq, epoch }` or the
   * `error` frame's code. A subscription refused for good (`invalid_message`, `forbidden`,
   * `too_many_subscriptions`) is forgotten; one that failed for now (`rate_limited`,
   * `history_unavailable`) stays remembered and is sent again after the next reconnect. With
   * `{ presence: true }` the `presence` event also tells who joins and leaves the channel.
   */
  subscribe(channel: string, filters?: Filters, options: SubscribeOptions = {}): Promise<SubscribeResult> {
    const open = this.#connection;
    return this.#channels.subscribe(
      channel,
      filters,
      open && ((subscription) => open.subscribe(subscription)),
      options.presence ?? false,
    );
  }

  /** Removes every subscription of a channel. */
  unsubscribe(channel: string): void {
    this.#channels.registry.removeChannel(channel);
    if (this.state === 'open') this.#sendFrame({ action: Action.Unsubscribe, channel, id: this.#nextId('u') });
  }

  /**
   * Publishes a payload. Resolves — never rejects — with the ack `{ ok: true, seq, epoch,
   * channel }` or with `{ ok: false, code, message }`. A publish the server refused settles with
   * the code of its `error` frame, and nothing was delivered: `rate_limited`, `unavailable`,
   * `forbidden`, `invalid_command`, `not_found`, `invalid_message`. The client's own codes:
   * `disconnected` (the connection closed first: the publish may or may not have landed),
   * `queue_overflow`, `closed` (`disconnect()`), `send_failed`, or the code of a terminal failure
   * (`auth_refused`, `policy_violation`, …). While offline the publish waits in the bounded queue.
   */
  publish(channel: string, payload: unknown): Promise<PublishResult> {
    const sendNow = this.state === 'open' && this.#socket?.isOpen === true;
    return this.#outbox.publish(this.#nextId('p'), channel, payload, sendNow);
  }

  /** Sends a heartbeat ping now (e.g. when a hidden tab becomes visible again). */
  checkLiveness(): void {
    this.#connection?.ping();
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
    return this.#channels.listen(channel, listener);
  }

  // ---- connection lifecycle ------------------------------------------------------------------

  /** The one place the state changes; a change the table does not allow is a bug, and throws. */
  #transition(next: Phase, reason: string): void {
    const previous = this.#phase.state;
    if (previous !== next.state && !canTransition(previous, next.state))
      throw new Error(`NexusWebSocket: ${previous} → ${next.state} is not an allowed transition (${reason})`);
    this.#phase = next;
    if (previous !== next.state) this.#emitter.emit('state', { previous, next: next.state, reason });
  }

  /** What lives for the open connection, while open. */
  get #connection(): OpenConnection | undefined {
    return this.#phase.state === 'open' ? this.#phase.connection : undefined;
  }

  async #open(reason: string): Promise<void> {
    const generation = ++this.#generation;
    this.#transition({ state: 'connecting' }, reason);
    let token: string;
    try {
      token = await this.#token.forConnect();
    } catch (error) {
      if (generation !== this.#generation) return;
      this.#emitError(ClientErrorCode.SendFailed, providerFailure(error));
      return this.#scheduleReconnect('token provider failed');
    }
    if (generation !== this.#generation) return;
    const refusedAgain = this.#token.refusedAgain(token);
    if (refusedAgain) return this.#fail(refusedAgain, 'the token provider returned the token the server refused');
    this.#token.use(token);
    const current = () => generation === this.#generation; // events of an older socket are ignored
    try {
      this.#socket = new ClientSocket(this.#settings.WebSocket, this.#url, token, {
        onData: (data) => current() && this.#onData(data),
        onClose: (code, reason) => current() && this.#onClosed(code, reason),
      });
    } catch (error) {
      return this.#fail(ClientErrorCode.InvalidUrl, `cannot open ${this.#url}: ${(error as Error)?.message ?? error}`);
    }
    this.#timers.connect = setTimeout(
      () => this.#abandonSocket(CloseCode.Abnormal, 'connect timeout'),
      this.#settings.connectTimeoutMs,
    );
  }

  /** Gives up on a socket that stopped answering: reconnect without waiting for its close. */
  #abandonSocket(code: number, reason: string): void {
    const socket = this.#socket;
    this.#generation++;
    socket?.close(HEARTBEAT_CLOSE_CODE, reason);
    this.#onClosed(code, reason);
  }

  #onClosed(code: number, reason: string): void {
    const wasOpen = this.state === 'open';
    const upgradeStatus = this.#socket?.upgradeStatus;
    this.#socket = undefined;
    this.#clearTimers();
    this.#connection?.end();
    this.#pending.connectionLost(
      failure(ClientErrorCode.Disconnected, `connection closed (${code}) before the server answered`),
    );
    const decision = decideClose(code, {
      ...(upgradeStatus === undefined ? {} : { upgradeStatus }),
      renewableToken: this.#token.renewable,
    });
    const willReconnect = decision.retry && this.#attempt < this.#settings.maxAttempts;
    if (wasOpen) this.#emitter.emit('disconnected', { code, reason, willReconnect });
    if (!decision.retry) return this.#fail(decision.code, decision.reason);
    if (decision.newToken) this.#token.refuse(decision.newToken.refusedAs);
    this.#scheduleReconnect(decision.reason, decision.delay === 'restart');
  }

  #scheduleReconnect(reason: string, restart = false): void {
    if (this.#attempt >= this.#settings.maxAttempts)
      return this.#fail(ClientErrorCode.Unreachable, `gave up after ${this.#attempt} attempts (${reason})`);
    const { backoff, random } = this.#settings;
    const delayMs = retryDelayMs(this.#attempt, backoff, random, restart ? RESTART : undefined);
    this.#attempt++;
    const nextRetryAt = this.#settings.now() + delayMs;
    this.#transition({ state: 'reconnecting', nextRetryAt }, reason);
    this.#emitter.emit('reconnecting', { attempt: this.#attempt, delayMs, nextRetryAt });
    // Offline: no retry spin; the `online` event reconnects.
    if (this.#settings.network && !this.#settings.network.isOnline()) return;
    this.#timers.reconnect = setTimeout(() => void this.#open(`retry ${this.#attempt}`), delayMs);
  }

  #onOnline(): void {
    if (this.state !== 'reconnecting') return;
    clearTimeout(this.#timers.reconnect);
    void this.#open('network online');
  }

  /** A terminal failure: `code` names its kind, and what still waits settles with it. */
  #fail(code: TerminalCode, reason: string): void {
    this.#clearTimers();
    this.#emitter.emit('reconnect_failed', { attempts: this.#attempt, reason, code });
    this.#transition({ state: 'failed' }, reason);
    this.#settleAll(code, reason);
  }

  #onWelcome(frame: Extract<ServerFrame, { type: 'connected' }>): void {
    clearTimeout(this.#timers.connect);
    this.#token.forgiveRefusal();
    this.#connection?.end(); // a second welcome on the same socket starts afresh
    const connection = new OpenConnection({
      ...this.#settings,
      channels: this.#channels,
      pending: this.#pending,
      token: this.#token,
      nextId: (prefix) => this.#nextId(prefix),
      send: (frame) => this.#sendFrame(frame),
      onDead: () => this.#abandonSocket(CloseCode.Abnormal, 'heartbeat timeout'),
      onRtt: (rttMs) => this.#emitter.emit('rtt', { rttMs: (this.#rttMs = rttMs) }),
      onHealth: (health) => this.#emitter.emit('health', health),
    });
    this.#transition({ state: 'open', connection }, 'connected');
    this.#timers.stable = setTimeout(() => (this.#attempt = 0), this.#settings.stableAfterMs);
    connection.start();
    this.#outbox.flush();
    const { connectionId, userId, role, heartbeatMs } = frame;
    this.#emitter.emit('connected', { connectionId, userId, role, heartbeatMs });
  }

  // ---- frames in -----------------------------------------------------------------------------

  #onData(data: unknown): void {
    if (typeof data !== 'string' && !(data instanceof Uint8Array)) return;
    // Strict: a frame that is not JSON, or not a server frame of the protocol, is reported and dropped.
    const frame = decodeServerFrame(typeof data === 'string' ? data : new TextDecoder().decode(data));
    if (!frame)
      return this.#emitError(ClientErrorCode.SendFailed, 'the server sent a frame that is not a protocol frame');
    const open = this.#connection;
    switch (frame.type) {
      case FrameType.Connected:
        return this.#onWelcome(frame);
      case FrameType.Message:
      case FrameType.Broadcast:
        return open ? open.onDelivery(frame) : this.#channels.deliver(frame);
      case FrameType.Subscribed:
        return this.#channels.onSubscribed(frame);
      case FrameType.Unsubscribed:
        // unsubscribe() forgets the channel at once and waits for no answer.
        return;
      case FrameType.Ack:
        return open?.onAck(frame);
      case FrameType.Pong:
        return open?.onPong(frame.id);
      case FrameType.Refreshed:
        return open?.onRefreshed();
      case FrameType.Error:
        open?.onError(frame);
        return this.#emitError(frame.code, frame.message, frame.id);
      case FrameType.Health:
        return open?.onHealth(frame);
      case FrameType.Presence: {
        const { type: _type, ...presence } = frame;
        return this.#emitter.emit('presence', presence);
      }
    }
  }

  // ---- frames out ----------------------------------------------------------------------------

  #sendFrame(frame: object): boolean {
    return this.#socket?.send(frame) ?? false;
  }

  // ---- bookkeeping ---------------------------------------------------------------------------

  #nextId(prefix: string): string {
    return `${prefix}${++this.#requestCounter}`;
  }

  #settleAll(code: ClientErrorCode, message: string): void {
    const why = failure(code, message);
    this.#pending.failAll(why);
    this.#outbox.failQueued(why);
  }

  #emitError(code: ErrorCode | ClientErrorCode, message: string, id?: string | number): void {
    this.#emitter.emit('error', { code, message, ...(id === undefined ? {} : { id }) });
  }

  #clearTimers(): void {
    for (const timer of Object.values(this.#timers)) clearTimeout(timer);
    this.#timers = {};
  }
}
