/**
 * One WebSocket connection: its life (`session-state.ts`), its actions, and sending with
 * backpressure. Frames of one connection are handled in order, one at a time, so a replay is
 * never interleaved with live messages of the same channel.
 *
 * The parts with a concern of their own live beside it: the inbound path — cheap checks, rate
 * limit, parsing, the inbox, whether the socket is read — in `inbound.ts`; the subscribe flow
 * (admission, history reads, catch-up, sliced replays) in `subscribe-flow.ts`; backpressure in
 * `connection-writer.ts`; dropping what waits for a cut slow consumer in `unsent-data.ts`; limits
 * in `rate-limit.ts`; what is read from inside ws in `ws-internals.ts`.
 */
import { randomUUID } from 'node:crypto';
import { WebSocket, type RawData } from 'ws';
import {
  Action,
  AuditAction,
  Channel,
  CloseCode,
  CloseReason,
  ErrorCode,
  FrameType,
  Role,
  WELCOME_MESSAGE,
  type ClientFrame,
  type ErrorCode as ErrorCodeType,
  type RefreshFrame,
  type RequestId,
  type ServerFrame,
  type SubscribeFrame,
  type UnsubscribeFrame,
} from '@nexus-realtime/client/protocol';
import { refreshRefusal, type Principal } from '../auth.js';
import type { BrokerMessage } from '../broker/index.js';
import { ChannelSubscriptions } from './channel-subscriptions.js';
import { isAfter, type Position } from './catch-up.js';
import { ConnectionWriter } from './connection-writer.js';
import { encodeFrame, type Subscriber, type Subscription } from '../fanout/index.js';
import { Inbound } from './inbound.js';
import type { Logger } from '../logger.js';
import type { DropReason } from '../metrics.js';
import { publishAction, type PublishHost } from './publish-action.js';
import { ConnectionRate, DEFAULT_FLOOD_RULE } from '../rate-limit.js';
import type { ReplayTarget } from './replay-sender.js';
import type { SessionContext, SessionCounters } from './session-context.js';
import { canTransition, isServing, type SessionState } from './session-state.js';
import { SubscribeFlow } from './subscribe-flow.js';
import { listenToSocket } from './socket-events.js';
import { TokenExpiry } from './token-expiry.js';
import { dropUnsentWrites } from './unsent-data.js';
import { rawSocketOf } from './ws-internals.js';

export type { SessionContext, SessionCounters } from './session-context.js';

/**
 * How long a cut slow consumer's socket is kept for its close frame to get through: a peer that
 * stopped reading (a suspended tab) may read again much later. What waited for it is dropped, so
 * only what the kernel already held and the close frame wait meanwhile. (ws's own close timeout.)
 */
const SLOW_CONSUMER_CLOSE_GRACE_MS = 30_000;

export class Session implements Subscriber {
  readonly id = randomUUID();
  /** Epoch ms the connection opened. */
  readonly connectedAt: number;
  framesIn = 0;
  bytesIn = 0;
  /** Frames of this connection refused or dropped (rate limit, invalid, forbidden, binary). */
  dropped = 0;
  /** Round-trip time of the last answered heartbeat ping. */
  rttMs: number | undefined;
  #pingSentAt = 0;
  #principal: Principal;
  #state: SessionState = 'open';
  readonly #inbound: Inbound;
  readonly #subscribeFlow: SubscribeFlow;
  readonly #publishHost: PublishHost;
  readonly #expiry: TokenExpiry;
  /** Destroys a cut slow consumer's socket if its peer never answers the close. */
  #closeTimer: NodeJS.Timeout | undefined;
  /** The connection's subscriptions, channel by channel, within its bounds. */
  readonly #subscriptions: ChannelSubscriptions;
  /** Highest seq sent per channel: nothing at or below it is sent again. */
  readonly #sent = new Map<string, Position>();
  /** True until the user's shared rate buckets are given back (once, at release). */
  #holdsUserRate: boolean;
  readonly #writer: ConnectionWriter;
  readonly #log: Logger;
  /** Told of each `commands` message sent (an agent's connection only; see SessionContext). */
  readonly #commandSent: ((message: BrokerMessage) => void) | undefined;
  readonly #replayTarget: ReplayTarget = {
    isOpen: () => isServing(this.#state),
    // Uncompressed: a replayed message goes to one connection, so compressing it would cost
    // zlib time in proportion to viewers × history (300 MB per viewer), not once per fan-out.
    send: (frame, message) => {
      this.#sendBytes(frame, false);
      this.#noteSent(message);
    },
    waitForRoom: () => this.#waitForRoom(),
  };

  constructor(
    readonly socket: WebSocket,
    principal: Principal,
    private readonly ctx: SessionContext,
    /** The peer's address as the server saw it. */
    readonly remoteAddress = '',
  ) {
    this.connectedAt = ctx.now();
    this.#principal = principal;
    const rule = ctx.policy.rate(principal.role);
    const shared = ctx.userRates?.acquire(principal.userId, rule);
    this.#holdsUserRate = shared !== undefined;
    this.#writer = new ConnectionWriter(socket, ctx.maxBufferedBytes, ctx.metrics.traffic, ctx.now);
    this.#log = ctx.logger.child({ connectionId: this.id, userId: principal.userId });
    const { commandDelivered } = ctx;
    this.#commandSent =
      principal.role === Role.Agent && commandDelivered
        ? (message) => commandDelivered(message, this.#principal)
        : undefined;
    this.#subscriptions = new ChannelSubscriptions(ctx.hub, this);
    listenToSocket(socket, this);
    this.#inbound = this.#createInbound(new ConnectionRate(rule, DEFAULT_FLOOD_RULE, ctx.now, shared));
    this.#subscribeFlow = this.#createSubscribeFlow();
    this.#publishHost = this.#createPublishHost();
    this.#expiry = new TokenExpiry(ctx.now, () => {
      this.#log.info('token expired, closing');
      this.close(CloseCode.TokenExpired, CloseReason[CloseCode.TokenExpired]);
    });
    this.#expiry.arm(principal.exp);
    this.send({
      type: FrameType.Connected,
      message: WELCOME_MESSAGE,
      userId: principal.userId,
      role: principal.role,
      connectionId: this.id,
      heartbeatMs: ctx.heartbeatIntervalMs,
    });
  }

  #createInbound(rate: ConnectionRate): Inbound {
    const { ctx } = this;
    return new Inbound(
      {
        socket: this.socket,
        log: this.#log,
        closeGraceMs: ctx.closeGraceMs,
        isServing: () => isServing(this.#state),
        counted: (byteLength) => {
          const traffic = ctx.metrics.traffic;
          traffic.framesIn++;
          traffic.bytesIn += byteLength;
          this.framesIn++;
          this.bytesIn += byteLength;
        },
        markAlive: () => this.markAlive(),
        drop: (reason) => this.#drop(reason),
        dropUnread: () => this.dropped++,
        reportUnread: (count) => ctx.metrics.dropped.inc({ reason: 'rate_limited' satisfies DropReason }, count),
        sendError: (code, message, id) => this.sendError(code, message, id),
        close: (code, reason) => this.close(code, reason),
        dispatch: (frame) => this.#dispatch(frame),
        filterBytesLeft: () => this.#subscriptions.filterBytesLeft,
        refusedFrame: (code, detail) => ctx.audit?.refused(this.#principal, AuditAction.Frame, code, { detail }),
      },
      rate,
      ctx.inboundScheduler && { scheduler: ctx.inboundScheduler, owner: this.#principal.userId },
    );
  }

  #createPublishHost(): PublishHost {
    return {
      ...this.ctx,
      principal: () => this.#principal,
      drop: (reason) => this.#drop(reason),
      send: (frame) => this.send(frame),
      sendError: (code, message, id) => this.sendError(code, message, id),
      published: (message) => this.ctx.onPublished?.(message, this.id),
    };
  }

  #createSubscribeFlow(): SubscribeFlow {
    const { ctx } = this;
    return new SubscribeFlow({
      ...ctx,
      log: this.#log,
      subscriptions: this.#subscriptions,
      sent: this.#sent,
      replayTarget: this.#replayTarget,
      role: () => this.#principal.role,
      principal: () => this.#principal,
      isServing: () => isServing(this.#state),
      restOfBurst: () => this.#inbound.restOfBurst(),
      takeSubscribes: (channel) => this.#inbound.takeSubscribes(channel),
      drop: (reason) => this.#drop(reason),
      send: (frame) => this.send(frame),
      sendError: (code, message, id) => this.sendError(code, message, id),
      sendEncoded: (frame, message) => {
        this.#sendBytes(frame);
        this.#noteSent(message);
      },
      sendDelivery: (message, frame) => this.#sendDelivery(message, frame),
    });
  }

  get principal(): Principal {
    return this.#principal;
  }

  get state(): SessionState {
    return this.#state;
  }

  /** The connection's traffic so far (for the admin routes). */
  get counters(): SessionCounters {
    return {
      framesIn: this.framesIn,
      bytesIn: this.bytesIn,
      framesOut: this.#writer.framesOut,
      bytesOut: this.#writer.bytesOut,
      bufferedBytes: this.#writer.bufferedBytes,
      dropped: this.dropped,
      rttMs: this.rttMs,
    };
  }

  /** The channels this connection subscribes to, each with its filters (one entry per subscription). */
  subscriptionList(): { channel: string; filters: Subscription['filters'] }[] {
    return this.#subscriptions.list();
  }

  /** True when the connection subscribes to `channel`. */
  subscribesTo(channel: string): boolean {
    return this.#subscriptions.has(channel);
  }

  get subscriptionCount(): number {
    return this.#subscriptions.count;
  }

  /** Heartbeat tick: terminates a peer that did not answer the previous ping, then pings. */
  heartbeat(): void {
    if (!isServing(this.#state)) return;
    if (this.#state === 'awaiting-pong') {
      // With bytes still in the socket's buffer, the last ping may sit behind data the peer has
      // not read yet: a missing pong proves nothing. A peer that really stopped reading is cut
      // by the slow-consumer limit instead. (Nothing waits for compression: it happens once per
      // fan-out, before frames are written, so the ping is never held back by it.)
      if (this.socket.bufferedAmount > 0) return;
      // Nor does it from a peer whose socket is not being read: its pong waits in TCP.
      if (this.#inbound.readState !== 'reading') return;
      this.#transition('closing', 'heartbeat missed');
      this.socket.terminate();
      return;
    }
    this.#transition('awaiting-pong', 'ping sent');
    this.#pingSentAt = this.ctx.now();
    this.socket.ping();
  }

  /** Closes the connection with a code and reason; nothing more is sent before the close. */
  close(code: number, reason: string): void {
    this.#transition('closing', reason);
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) {
      this.socket.close(code, reason);
    }
  }

  /** Hub fan-out entry point: the frame is shared by every recipient. */
  deliver(message: BrokerMessage, frame: Buffer): void {
    const waiting = this.#subscribeFlow.hold(message, frame);
    if (waiting === undefined) return this.#sendDelivery(message, frame);
    // Live messages wait behind a replay; they too count against the slow-consumer limit.
    if (waiting > this.ctx.maxBufferedBytes) this.#cutSlowConsumer(waiting);
  }

  /** Sends a control frame (reply, error, notice). */
  send(frame: ServerFrame): void {
    this.#sendBytes(encodeFrame(frame));
  }

  sendError(code: ErrorCodeType, message: string, id?: RequestId): void {
    this.send({ type: FrameType.Error, code, message, ...idOf(id) });
  }

  /** @internal A message ws handed over (see inbound.ts). */
  receive(data: RawData, isBinary: boolean): void {
    this.#inbound.receive(data, isBinary);
  }

  // ---- actions (one frame at a time, in order, from the inbound path) --------------------------

  async #dispatch(frame: ClientFrame): Promise<void> {
    switch (frame.action) {
      case Action.Subscribe:
        return this.#subscribe(frame);
      case Action.Unsubscribe:
        return this.#unsubscribe(frame);
      case Action.Publish:
        return publishAction(this.#publishHost, frame);
      case Action.Ping:
        return this.send({ type: FrameType.Pong, timestamp: this.ctx.now(), ...idOf(frame.id) });
      case Action.Refresh:
        return this.#refresh(frame);
    }
  }

  /** Subscribes; channel presence hears of the connection's first subscription to the channel. */
  async #subscribe(frame: SubscribeFrame): Promise<void> {
    const { channel } = frame;
    const held = this.#subscriptions.has(channel);
    await this.#subscribeFlow.subscribe(frame);
    const presence = this.ctx.presence;
    if (!presence || !this.#subscriptions.has(channel)) return;
    if (frame.presence === true) presence.listen(channel, this);
    if (!held) presence.joined(channel, this.#principal.userId, this.#principal.role);
  }

  /** Channel presence hears that the connection's subscriptions to `channel` ended. */
  #leftChannel(channel: string): void {
    this.ctx.presence?.unlisten(channel, this);
    this.ctx.presence?.left(channel, this.#principal.userId);
  }

  /** @internal A presence frame, encoded once for every listener of the channel. */
  sendPresence(frame: Buffer): void {
    this.#sendBytes(frame);
  }

  #unsubscribe(frame: UnsubscribeFrame): void {
    if (this.#subscriptions.has(frame.channel)) this.#leftChannel(frame.channel);
    this.#subscriptions.removeChannel(frame.channel);
    this.#sent.delete(frame.channel);
    this.send({ type: FrameType.Unsubscribed, ...idOf(frame.id), channel: frame.channel });
  }

  async #refresh(frame: RefreshFrame): Promise<void> {
    const result = await this.ctx.auth.verify(frame.token);
    const refusal = result.ok ? refreshRefusal(this.#principal, result.principal) : result.message;
    if (refusal !== undefined || !result.ok) {
      const detail = `refresh refused: ${refusal ?? 'invalid token'}`;
      this.ctx.audit?.refused(this.#principal, AuditAction.Refresh, ErrorCode.Forbidden, { detail });
      return this.sendError(ErrorCode.Forbidden, detail, frame.id);
    }
    // Same identity, new expiry; the rate buckets stay the connection's, so a refresh never refills them.
    this.#principal = result.principal;
    this.#expiry.arm(result.principal.exp);
    this.send({ type: FrameType.Refreshed, ...idOf(frame.id), exp: result.principal.exp ?? null });
  }

  // ---- sending -------------------------------------------------------------------------------

  #sendDelivery(message: BrokerMessage, frame: Buffer): void {
    // A new epoch (Redis lost its data, or a local-only outage numbering) restarts the count.
    if (!isAfter(message, this.#sent.get(message.channel))) return;
    this.#sent.set(message.channel, { seq: message.seq, epoch: message.epoch });
    this.#sendBytes(frame);
    this.#noteSent(message);
  }

  /** A `commands` message went to an agent's connection: the task domain notes the delivery. */
  #noteSent(message: BrokerMessage): void {
    if (this.#commandSent !== undefined && message.channel === Channel.Commands) this.#commandSent(message);
  }

  #sendBytes(bytes: Buffer, compressible = true): void {
    if (!isServing(this.#state) || this.socket.readyState !== WebSocket.OPEN) return;
    if (this.#writer.overLimit) return this.#cutSlowConsumer(this.#writer.unreadBytes);
    this.#writer.write(bytes, compressible);
  }

  /** Paces a replay: waits until the connection has room; a peer that reads nothing for two heartbeats is cut. */
  async #waitForRoom(): Promise<void> {
    const outcome = await this.#writer.waitForRoom(() => isServing(this.#state), 2 * this.ctx.heartbeatIntervalMs);
    if (outcome === 'stalled') this.#cutSlowConsumer(this.#writer.unreadBytes);
  }

  #cutSlowConsumer(waitingBytes: number): void {
    if (!isServing(this.#state)) return;
    this.#drop('slow_consumer');
    // What waits for it is dropped, not the close frame: that goes out right behind what the
    // kernel already holds, so a peer that reads again later (a suspended tab) gets 4008, not a
    // bare 1006. Its socket is kept until the peer answers, or for a generous grace.
    const droppedBytes = dropUnsentWrites(rawSocketOf(this.socket));
    const bufferedBytes = this.#writer.bufferedBytes;
    this.#log.warn({ waitingBytes, bufferedBytes, droppedBytes }, 'slow consumer, closing');
    this.close(CloseCode.SlowConsumer, CloseReason[CloseCode.SlowConsumer]);
    this.#closeTimer = setTimeout(() => this.socket.terminate(), SLOW_CONSUMER_CLOSE_GRACE_MS);
    this.#closeTimer.unref();
    this.#release();
  }

  #drop(reason: DropReason): void {
    this.dropped++;
    this.ctx.metrics.dropped.inc({ reason });
  }

  #transition(next: SessionState, reason: string): void {
    const previous = this.#state;
    if (!canTransition(previous, next)) return;
    this.#state = next;
    this.#log.trace({ previous, next, reason }, 'state');
  }

  /** Drops every subscription, waiting frame and timer; idempotent. */
  #release(): void {
    this.#expiry.clear();
    if (this.#holdsUserRate) this.ctx.userRates?.release(this.#principal.userId);
    this.#holdsUserRate = false;
    this.#inbound.release();
    for (const channel of new Set(this.#subscriptions.list().map((s) => s.channel))) this.#leftChannel(channel);
    this.#subscriptions.clear();
    this.#subscribeFlow.clear();
  }

  /** @internal */
  handleClose(code: number): void {
    this.#transition('closed', `socket closed (${code})`);
    clearTimeout(this.#closeTimer);
    this.#release();
    this.#log.debug({ code }, 'connection closed');
    this.ctx.onClose();
  }

  /** @internal The peer answered a ping: it is alive, and the ping's round trip is known. */
  pongReceived(): void {
    if (this.#pingSentAt > 0) {
      this.rttMs = Math.max(0, this.ctx.now() - this.#pingSentAt);
      this.#pingSentAt = 0;
    }
    this.markAlive();
  }

  /** @internal The peer answered a ping or sent a frame: it is alive. */
  markAlive(): void {
    if (this.#state === 'awaiting-pong') this.#transition('open', 'peer answered');
  }

  /** @internal */
  logError(error: Error): void {
    this.#log.debug({ err: error }, 'socket error');
  }
}

function idOf(id: RequestId | undefined): { id?: RequestId } {
  return id === undefined ? {} : { id };
}
