/**
 * One WebSocket connection: decodes and validates frames, applies the rate limit, dispatches
 * actions, and sends with backpressure. Frames of one connection are handled in order, one at a
 * time, so replies come back in request order and a replay is never interleaved with live
 * messages of the same channel.
 *
 * One concern — one connection's life — kept in one class because its handlers share the
 * connection's state (queue, subscriptions, sent positions, timers); the pure parts live beside
 * it: frame decoding in `protocol/`, catch-up planning in `catch-up.ts`, limits in `rate-limit.ts`.
 */
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { WebSocket, type RawData } from 'ws';
import {
  Action,
  CloseCode,
  CloseReason,
  ErrorCode,
  FrameType,
  Limits,
  WELCOME_MESSAGE,
  decodeJson,
  parseClientFrame,
  type ClientFrame,
  type ErrorCode as ErrorCodeType,
  type PublishFrame,
  type RefreshFrame,
  type RequestId,
  type ServerFrame,
  type SubscribeFrame,
  type UnsubscribeFrame,
} from '../protocol/index.js';
import type { Auth, Principal } from './auth.js';
import { NO_PAGES, collectPages, type Broker, type BrokerMessage, type Replay } from './broker/broker.js';
import { encodeDelivery, encodeFrame } from './frames.js';
import { createSubscription, type Hub, type Subscriber, type Subscription } from './hub.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { Policy } from './policy.js';
import { isAfter, planCatchUp, type Position } from './catch-up.js';
import { FloodDetector, TokenBucket } from './rate-limit.js';
import { corkUntilEndOfTurn } from './write-coalescer.js';

/** What a session needs from the server around it. */
export interface SessionContext {
  readonly hub: Hub;
  readonly broker: Broker;
  readonly policy: Policy;
  readonly auth: Auth;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly now: () => number;
  readonly heartbeatIntervalMs: number;
  readonly maxBufferedBytes: number;
  /** Grace given to a closing slow consumer before its socket is destroyed. */
  readonly closeGraceMs: number;
  /** Tells the server the session ended. */
  readonly onClose: (session: Session) => void;
  /** Lets the server observe published messages (domain modules: tasks, agents). */
  readonly onPublished?: (message: BrokerMessage, session: Session) => void;
}

/** Live messages that arrive while a subscribe is being answered wait here. */
interface PendingChannel {
  readonly queued: { message: BrokerMessage; frame: Buffer }[];
}

const SEND_PLAIN = { binary: false, compress: false } as const;
const SEND_COMPRESSED = { binary: false, compress: true } as const;

// setTimeout cannot wait longer than 2^31-1 ms; longer expiries are re-armed in steps.
const MAX_TIMER_MS = 2_147_483_647;

export class Session implements Subscriber {
  readonly id = randomUUID();
  #principal: Principal;
  #alive = true;
  #closed = false;
  #queue: Promise<void> = Promise.resolve();
  #expiryTimer: NodeJS.Timeout | undefined;
  readonly #channels = new Set<string>();
  /** Highest seq sent per channel: nothing at or below it is sent again. */
  readonly #sent = new Map<string, Position>();
  readonly #pending = new Map<string, PendingChannel>();
  /** Per subscription, the seq above which it has been served (live or replayed). */
  readonly #coveredFrom = new WeakMap<Subscription, Position>();
  readonly #bucket: TokenBucket;
  readonly #flood: FloodDetector;
  readonly #log: Logger;

  constructor(
    readonly socket: WebSocket,
    principal: Principal,
    private readonly ctx: SessionContext,
  ) {
    this.#principal = principal;
    this.#bucket = new TokenBucket(Limits.rateLimitPerSecond, Limits.rateLimitBurst, ctx.now);
    this.#flood = new FloodDetector(Limits.floodCloseAfterMs, Limits.floodCalmAfterMs, ctx.now);
    this.#log = ctx.logger.child({ connectionId: this.id, userId: principal.userId });
    socket.on('message', (data, isBinary) => socketOnMessage(this, data, isBinary));
    socket.on('pong', () => socketOnPong(this));
    socket.on('close', (code) => socketOnClose(this, code));
    socket.on('error', (error) => socketOnError(this, error));
    this.#armExpiry();
    this.send({
      type: FrameType.Connected,
      message: WELCOME_MESSAGE,
      userId: principal.userId,
      role: principal.role,
      connectionId: this.id,
      heartbeatMs: ctx.heartbeatIntervalMs,
    });
  }

  /** The TCP socket under the WebSocket (ws keeps it as `_socket`), for write coalescing. */
  get #rawSocket(): Socket | undefined {
    return (this.socket as unknown as { _socket?: Socket })._socket;
  }

  get principal(): Principal {
    return this.#principal;
  }

  get subscriptionCount(): number {
    let count = 0;
    for (const channel of this.#channels) count += this.ctx.hub.subscriptions(this, channel).length;
    return count;
  }

  /** Heartbeat tick: terminates a peer that did not answer the previous ping, then pings. */
  heartbeat(): void {
    if (this.#closed) return;
    // With frames still queued on our side (e.g. behind permessage-deflate), the last ping may
    // not have left yet: a missing pong proves nothing. A peer that really stopped reading is
    // cut by the slow-consumer limit instead.
    if (this.socket.bufferedAmount > 0) return;
    if (!this.#alive) {
      this.#log.info('heartbeat missed, terminating');
      this.socket.terminate();
      return;
    }
    this.#alive = false;
    this.socket.ping();
  }

  /** Closes the connection with a code and reason. */
  close(code: number, reason: string): void {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) {
      this.socket.close(code, reason);
    }
  }

  /** Hub fan-out entry point: the frame is shared by every recipient. */
  deliver(message: BrokerMessage, frame: Buffer): void {
    const pending = this.#pending.get(message.channel);
    if (pending) {
      pending.queued.push({ message, frame });
      return;
    }
    this.#sendDelivery(message, frame);
  }

  /** Sends a control frame (reply, error). */
  send(frame: ServerFrame): void {
    this.#sendBytes(encodeFrame(frame));
  }

  sendError(code: ErrorCodeType, message: string, id?: RequestId): void {
    this.send({ type: FrameType.Error, code, message, ...(id === undefined ? {} : { id }) });
  }

  // ---- frame handling (called from socketOnMessage) ------------------------------------------

  /** @internal */
  receive(data: RawData, isBinary: boolean): void {
    const size = rawSize(data);
    const traffic = this.ctx.metrics.traffic;
    traffic.framesIn++;
    traffic.bytesIn += size;
    this.#alive = true;
    if (!this.#bucket.take()) {
      this.ctx.metrics.dropped.inc({ reason: 'rate_limited' });
      if (this.#flood.limited()) {
        this.#log.warn('still flooding past the rate limit, closing');
        this.close(CloseCode.PolicyViolation, CloseReason[CloseCode.PolicyViolation]);
        return;
      }
      this.sendError(ErrorCode.RateLimited, `more than ${Limits.rateLimitPerSecond} frames per second; frame dropped`);
      return;
    }
    if (isBinary) {
      this.ctx.metrics.dropped.inc({ reason: 'binary' });
      this.sendError(ErrorCode.BinaryNotSupported, 'binary frames are not supported; send JSON text frames');
      return;
    }
    const decoded = decodeJson(rawToString(data));
    if (!decoded.ok) {
      this.ctx.metrics.dropped.inc({ reason: 'invalid' });
      const code = decoded.reason === 'invalid_json' ? ErrorCode.InvalidJson : ErrorCode.InvalidMessage;
      this.sendError(code, decoded.message);
      return;
    }
    const parsed = parseClientFrame(decoded.value);
    if (!parsed.ok) {
      this.ctx.metrics.dropped.inc({ reason: 'invalid' });
      this.sendError(parsed.code, parsed.message, parsed.id);
      return;
    }
    this.#enqueue(parsed.frame);
  }

  #enqueue(frame: ClientFrame): void {
    this.#queue = this.#queue
      .then(() => (this.#closed ? undefined : this.#dispatch(frame)))
      .catch((error: unknown) => {
        this.#log.error({ err: error, action: frame.action }, 'frame handling failed');
        this.sendError(ErrorCode.InvalidMessage, 'the server could not handle this frame', frame.id);
      });
  }

  async #dispatch(frame: ClientFrame): Promise<void> {
    switch (frame.action) {
      case Action.Subscribe:
        return this.#subscribe(frame as SubscribeFrame);
      case Action.Unsubscribe:
        return this.#unsubscribe(frame);
      case Action.Publish:
        return this.#publish(frame);
      case Action.Ping:
        return this.send({ type: FrameType.Pong, timestamp: this.ctx.now(), ...idOf(frame.id) });
      case Action.Refresh:
        return this.#refresh(frame);
    }
  }

  async #subscribe(frame: SubscribeFrame): Promise<void> {
    const { channel, id } = frame;
    if (!this.ctx.policy.allows(this.#principal.role, 'subscribe', channel)) {
      this.ctx.metrics.dropped.inc({ reason: 'forbidden' });
      return this.sendError(ErrorCode.Forbidden, `role ${this.#principal.role} may not subscribe to ${channel}`, id);
    }
    const subscription = createSubscription(frame.filters);
    const others = this.ctx.hub.subscriptions(this, channel);
    const isNew = !others.some((s) => s.key === subscription.key);
    if (isNew && this.subscriptionCount >= Limits.maxSubscriptionsPerConnection) {
      return this.sendError(
        ErrorCode.TooManySubscriptions,
        `at most ${Limits.maxSubscriptionsPerConnection} subscriptions per connection`,
        id,
      );
    }
    // Live messages wait while the position and history are read, then go out in seq order.
    const pending: PendingChannel = { queued: [] };
    this.#pending.set(channel, pending);
    this.ctx.hub.add(this, channel, subscription);
    this.#channels.add(channel);
    try {
      const answer = await this.#readPosition(frame);
      if (!answer) {
        if (isNew) this.#removeSubscription(channel, subscription);
        return;
      }
      const filters = subscription.filters ? { filters: subscription.filters } : {};
      const recovered = frame.since === undefined ? {} : { recovered: answer.recovered };
      this.send({
        type: FrameType.Subscribed,
        ...idOf(id),
        channel,
        ...filters,
        seq: answer.seq,
        epoch: answer.epoch,
        ...recovered,
      });
      const coveredFrom = frame.since !== undefined && answer.recovered ? frame.since : answer.seq;
      const from = { seq: coveredFrom, epoch: answer.epoch };
      const catchUp = planCatchUp({
        subscription,
        coveredFrom: from,
        others: others.map((o) => ({ subscription: o, coveredFrom: this.#coveredFrom.get(o) })),
        replayed: await collectPages(answer.pages),
        queued: pending.queued.splice(0),
        position: { seq: answer.seq, epoch: answer.epoch },
        sentBefore: this.#sent.get(channel),
      });
      for (const { message, frame } of catchUp.send) this.#sendBytes(frame ?? encodeDelivery(message));
      this.#sent.set(channel, catchUp.sent);
      if (isNew) this.#coveredFrom.set(subscription, from);
    } finally {
      if (this.#pending.get(channel) === pending) this.#pending.delete(channel);
      this.#flushPending(pending);
    }
  }

  /** The channel's position, and with `since` the history to replay; undefined after an error reply. */
  async #readPosition(frame: SubscribeFrame): Promise<Replay | undefined> {
    if (frame.since === undefined) {
      const position = await this.ctx.broker.position(frame.channel);
      return { ...position, recovered: true, pages: NO_PAGES };
    }
    try {
      return await this.ctx.broker.replay(frame.channel, frame.since, frame.epoch);
    } catch (error) {
      this.#log.warn({ err: error, channel: frame.channel }, 'history unavailable');
      this.sendError(ErrorCode.HistoryUnavailable, `history of ${frame.channel} is unavailable right now`, frame.id);
      return undefined;
    }
  }

  #removeSubscription(channel: string, subscription: Subscription): void {
    const keep = this.ctx.hub.subscriptions(this, channel).filter((s) => s !== subscription);
    this.ctx.hub.remove(this, channel);
    for (const s of keep) this.ctx.hub.add(this, channel, s);
    if (keep.length === 0) this.#channels.delete(channel);
  }

  #flushPending(pending: PendingChannel): void {
    for (const { message, frame } of pending.queued.splice(0)) this.#sendDelivery(message, frame);
  }

  async #unsubscribe(frame: UnsubscribeFrame): Promise<void> {
    this.ctx.hub.remove(this, frame.channel);
    this.#channels.delete(frame.channel);
    this.#sent.delete(frame.channel);
    this.send({ type: FrameType.Unsubscribed, ...idOf(frame.id), channel: frame.channel });
  }

  async #publish(frame: PublishFrame): Promise<void> {
    const { channel, id, payload } = frame;
    if (!this.ctx.policy.allows(this.#principal.role, 'publish', channel)) {
      this.ctx.metrics.dropped.inc({ reason: 'forbidden' });
      return this.sendError(ErrorCode.Forbidden, `role ${this.#principal.role} may not publish to ${channel}`, id);
    }
    const message = await this.ctx.broker.publish({
      channel,
      kind: 'message',
      from: this.#principal.userId,
      data: payload,
    });
    this.ctx.metrics.countChannelMessage(channel);
    this.ctx.onPublished?.(message, this);
    if (id !== undefined) this.send({ type: FrameType.Ack, id, channel, seq: message.seq });
  }

  async #refresh(frame: RefreshFrame): Promise<void> {
    const result = await this.ctx.auth.verify(frame.token);
    if (!result.ok) return this.sendError(ErrorCode.Forbidden, `refresh refused: ${result.message}`, frame.id);
    if (result.principal.userId !== this.#principal.userId) {
      return this.sendError(ErrorCode.Forbidden, 'refresh refused: token is for another user', frame.id);
    }
    this.#principal = result.principal;
    this.#armExpiry();
    this.send({ type: FrameType.Refreshed, ...idOf(frame.id), exp: result.principal.exp ?? null });
  }

  // ---- sending -------------------------------------------------------------------------------

  #sendDelivery(message: BrokerMessage, frame: Buffer): void {
    // A new epoch (Redis lost its data, or a local-only outage numbering) restarts the count.
    if (!isAfter(message, this.#sent.get(message.channel))) return;
    this.#sent.set(message.channel, { seq: message.seq, epoch: message.epoch });
    this.#sendBytes(frame);
  }

  #sendBytes(bytes: Buffer): void {
    if (this.#closed || this.socket.readyState !== WebSocket.OPEN) return;
    if (this.socket.bufferedAmount + bytes.length > this.ctx.maxBufferedBytes) {
      this.#cutSlowConsumer();
      return;
    }
    corkUntilEndOfTurn(this.#rawSocket);
    // ws applies its own threshold only without context takeover; decide per frame here.
    this.socket.send(bytes, bytes.length >= Limits.deflateThresholdBytes ? SEND_COMPRESSED : SEND_PLAIN);
    const traffic = this.ctx.metrics.traffic;
    traffic.framesOut++;
    traffic.bytesOut += bytes.length;
  }

  #cutSlowConsumer(): void {
    this.ctx.metrics.dropped.inc({ reason: 'slow_consumer' });
    this.#log.warn({ bufferedBytes: this.socket.bufferedAmount }, 'slow consumer, closing');
    this.#closed = true;
    this.socket.close(CloseCode.SlowConsumer, CloseReason[CloseCode.SlowConsumer]);
    // The close frame waits behind the unsent data; do not wait for a peer that is not reading.
    setTimeout(() => this.socket.terminate(), this.ctx.closeGraceMs).unref();
    this.#release();
  }

  #armExpiry(): void {
    clearTimeout(this.#expiryTimer);
    const exp = this.#principal.exp;
    if (exp === undefined) return;
    const delayMs = exp * 1000 - this.ctx.now();
    this.#expiryTimer = setTimeout(
      () => (delayMs > MAX_TIMER_MS ? this.#armExpiry() : this.#expire()),
      Math.max(0, Math.min(delayMs, MAX_TIMER_MS)),
    );
    this.#expiryTimer.unref();
  }

  #expire(): void {
    this.#log.info('token expired, closing');
    this.close(CloseCode.TokenExpired, CloseReason[CloseCode.TokenExpired]);
  }

  /** Drops every subscription and timer; idempotent. */
  #release(): void {
    clearTimeout(this.#expiryTimer);
    for (const channel of this.#channels) this.ctx.hub.remove(this, channel);
    this.#channels.clear();
    this.#pending.clear();
  }

  /** @internal */
  handleClose(code: number): void {
    this.#closed = true;
    this.#release();
    this.#log.debug({ code }, 'connection closed');
    this.ctx.onClose(this);
  }

  /** @internal */
  markAlive(): void {
    this.#alive = true;
  }

  /** @internal */
  logError(error: Error): void {
    this.#log.debug({ err: error }, 'socket error');
  }
}

function idOf(id: RequestId | undefined): { id?: RequestId } {
  return id === undefined ? {} : { id };
}

function rawSize(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((sum, part) => sum + part.length, 0);
  return data instanceof ArrayBuffer ? data.byteLength : data.length;
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as ArrayBuffer).toString('utf8');
}

function socketOnMessage(session: Session, data: RawData, isBinary: boolean): void {
  session.receive(data, isBinary);
}

function socketOnPong(session: Session): void {
  session.markAlive();
}

function socketOnClose(session: Session, code: number): void {
  session.handleClose(code);
}

function socketOnError(session: Session, error: Error): void {
  session.logError(error);
}
