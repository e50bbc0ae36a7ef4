/**
 * One WebSocket connection: decodes and validates frames, applies the rate limit, dispatches
 * actions, and sends with backpressure. Frames of one connection are handled in order, one at a
 * time, so a replay is never interleaved with live messages of the same channel; subscribes of
 * one channel waiting together are answered together (one merged replay in seq order).
 *
 * One concern — one connection's life — kept in one class because its handlers share the
 * connection's state (inbox, subscriptions, sent positions, timers); the parts with a concern of
 * their own live beside it: states in `session-state.ts`, the inbox in `frame-inbox.ts`, history
 * reads in `subscribe-answers.ts`, catch-up selection in `catch-up.ts`, sliced replays in
 * `replay-sender.ts`, backpressure in `connection-writer.ts`, limits in `rate-limit.ts`, whether
 * the socket is read (paused behind a replay or for a flood) in `read-gate.ts`, what is read from
 * inside ws in `ws-internals.ts`.
 */
import { randomUUID } from 'node:crypto';
import { WebSocket, type RawData } from 'ws';
import {
  Action,
  CloseCode,
  CloseReason,
  ErrorCode,
  FrameType,
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
} from '@nexus-realtime/client/protocol';
import { refreshRefusal, type Auth, type Principal } from '../auth.js';
import { BrokerUnavailableError, type Broker, type BrokerMessage, type Replay } from '../broker/index.js';
import { ChannelSubscriptions } from './channel-subscriptions.js';
import { CatchUpSelector, isAfter, type Position, type Queued, type Served } from './catch-up.js';
import { ConnectionWriter } from './connection-writer.js';
import { checkDomainPublish, type PublishActor } from '../domain/index.js';
import { encodeFrame, createSubscription, type Hub, type Subscriber, type Subscription } from '../fanout/index.js';
import { FrameInbox } from './frame-inbox.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { peekRequestId } from './peek-id.js';
import type { Policy } from '../policy.js';
import { ConnectionRate, DEFAULT_FLOOD_RULE, type RateVerdict, type UserRates } from '../rate-limit.js';
import { sendReplay, type ReplayTarget } from './replay-sender.js';
import { ReadGate } from './read-gate.js';
import { canTransition, isServing, type SessionState } from './session-state.js';
import {
  answerSubscribe,
  firstPosition,
  readAnswers,
  type Admission,
  type Admitted,
  type Answered,
  type SubscribeAnswer,
} from './subscribe-answers.js';
import { discardCompressedWhile, rawByteLength, rawToBuffer, receiverBusy } from './ws-internals.js';

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
  /** The task state that publishes on domain channels are checked against (who runs which task). */
  readonly tasks: PublishActor['tasks'];
  /** Rate buckets each user's connections on this process share (absent: per connection only). */
  readonly userRates?: UserRates;
}

/** Live messages of a channel that arrive while its subscribes are answered wait here. */
interface PendingChannel {
  readonly queued: Queued[];
  bytes: number;
}

/** Frames waiting to be handled before the session stops reading from the socket. */
const MAX_WAITING_FRAMES = 1000;
/**
 * …and bytes: waiting frames are held parsed, and a parsed payload can cost 20× its JSON, so a
 * megabyte waiting (behind a replay, or a Redis round trip) is enough before TCP pushes back.
 */
const MAX_WAITING_BYTES = 1024 * 1024;

// setTimeout cannot wait longer than 2^31-1 ms; longer expiries are re-armed in steps.
const MAX_TIMER_MS = 2_147_483_647;

/** What the admin routes read of a session: plain numbers kept on the hot path, nothing allocated per frame. */
export interface SessionCounters {
  readonly framesIn: number;
  readonly bytesIn: number;
  readonly framesOut: number;
  readonly bytesOut: number;
  readonly bufferedBytes: number;
  readonly dropped: number;
  readonly rttMs: number | undefined;
}

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
  /** Whether the socket is read: paused while frames wait, while far over its rate, once closed for flooding. */
  readonly #reading: ReadGate;
  readonly #inbox = new FrameInbox();
  /** The loop handling the inbox, while it runs. */
  #handling: Promise<void> | undefined;
  #expiryTimer: NodeJS.Timeout | undefined;
  /** The connection's subscriptions, channel by channel, within its bounds. */
  readonly #subscriptions: ChannelSubscriptions;
  /** Highest seq sent per channel: nothing at or below it is sent again. */
  readonly #sent = new Map<string, Position>();
  readonly #pending = new Map<string, PendingChannel>();
  /** Per subscription, the seq above which it has been served (live or replayed). */
  readonly #coveredFrom = new WeakMap<Subscription, Position>();
  /** Frame and byte buckets: the connection's for its whole life (a refresh keeps them). */
  readonly #rate: ConnectionRate;
  /** True until the user's shared rate buckets are given back (once, at release). */
  #holdsUserRate: boolean;
  readonly #writer: ConnectionWriter;
  readonly #log: Logger;
  readonly #replayTarget: ReplayTarget = {
    isOpen: () => isServing(this.#state),
    // Uncompressed: a replayed message goes to one connection, so compressing it would cost
    // zlib time in proportion to viewers × history (300 MB per viewer), not once per fan-out.
    send: (frame) => this.#sendBytes(frame, false),
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
    this.#rate = new ConnectionRate(rule, DEFAULT_FLOOD_RULE, ctx.now, shared);
    this.#writer = new ConnectionWriter(socket, ctx.maxBufferedBytes, ctx.metrics.traffic, ctx.now);
    this.#log = ctx.logger.child({ connectionId: this.id, userId: principal.userId });
    this.#subscriptions = new ChannelSubscriptions(ctx.hub, this);
    socket.on('message', (data, isBinary) => socketOnMessage(this, data, isBinary));
    socket.on('pong', () => socketOnPong(this));
    socket.on('close', (code) => socketOnClose(this, code));
    socket.on('error', (error) => socketOnError(this, error));
    this.#reading = new ReadGate({
      pause: () => socket.pause(),
      resume: () => socket.resume(),
      droppedUnread: (count) => ctx.metrics.dropped.inc({ reason: 'rate_limited' }, count),
      changed: (previous, next, reason) => this.#log.trace({ previous, next, reason }, 'reading'),
    });
    discardCompressedWhile(socket, () => this.#reading.discarding);
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
      if (this.#reading.state !== 'reading') return;
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
    const pending = this.#pending.get(message.channel);
    if (!pending) return this.#sendDelivery(message, frame);
    pending.queued.push({ message, frame });
    pending.bytes += frame.length;
    // Live messages wait behind a replay; they too count against the slow-consumer limit.
    if (pending.bytes > this.ctx.maxBufferedBytes) this.#cutSlowConsumer(pending.bytes);
  }

  /** Sends a control frame (reply, error). */
  send(frame: ServerFrame): void {
    this.#sendBytes(encodeFrame(frame));
  }

  sendError(code: ErrorCodeType, message: string, id?: RequestId): void {
    this.send({ type: FrameType.Error, code, message, ...idOf(id) });
  }

  // ---- frame handling (called from socketOnMessage) ------------------------------------------

  /** @internal */
  receive(data: RawData, isBinary: boolean): void {
    const byteLength = rawByteLength(data);
    const traffic = this.ctx.metrics.traffic;
    traffic.framesIn++;
    traffic.bytesIn += byteLength;
    this.framesIn++;
    this.bytesIn += byteLength;
    if (this.#reading.discarding) return this.#dropUnread();
    this.#inbox.arrived();
    this.markAlive();
    if (!isServing(this.#state)) return;
    const verdict = this.#rate.check(byteLength);
    const bytes = rawToBuffer(data);
    if (verdict.kind !== 'accept') return this.#refuseOverRate(verdict, bytes);
    if (isBinary) {
      this.#drop({ reason: 'binary' });
      const message = 'binary frames are not supported; send JSON text frames';
      return this.sendError(ErrorCode.BinaryNotSupported, message, peekRequestId(bytes));
    }
    const text = bytes.toString('utf8');
    const decoded = decodeJson(text);
    if (!decoded.ok) {
      this.#drop({ reason: 'invalid' });
      if (decoded.reason === 'invalid_json') return this.sendError(ErrorCode.InvalidJson, decoded.message);
      // Too deeply nested, yet well-formed: its id can still be read.
      return this.sendError(ErrorCode.InvalidMessage, decoded.message, peekRequestId(bytes));
    }
    const parsed = parseClientFrame(decoded.value);
    if (!parsed.ok) {
      this.#drop({ reason: 'invalid' });
      return this.sendError(parsed.code, parsed.message, parsed.id);
    }
    this.#enqueue(parsed.frame, byteLength, text);
  }

  #inboxFull(): boolean {
    return this.#inbox.size >= MAX_WAITING_FRAMES || this.#inbox.bytes >= MAX_WAITING_BYTES;
  }

  /**
   * A frame ws had already taken from TCP when reading paused (one TCP read holds thousands of
   * tiny frames): counted and dropped, neither parsed nor answered — the pause's one
   * `rate_limited` went out with the frame that started it.
   */
  #dropUnread(): void {
    this.dropped++;
    this.#reading.dropUnread();
  }

  #refuseOverRate(verdict: Exclude<RateVerdict, { kind: 'accept' }>, bytes: Buffer): void {
    this.#drop({ reason: 'rate_limited' });
    if (verdict.kind === 'close') return this.#closeFlooder();
    const rule = this.#rate.rule;
    const over =
      verdict.over === 'bytes' ? `${rule.bytesPerSecond} bytes per second` : `${rule.perSecond} frames per second`;
    const paused = verdict.kind === 'pause' ? `, and this connection is not read for ${verdict.pauseMs} ms` : '';
    this.sendError(ErrorCode.RateLimited, `more than ${over}; frame dropped${paused}`, peekRequestId(bytes));
    // Far over its rate: not read for a while, so TCP pushes back on the sender.
    if (verdict.kind === 'pause') this.#reading.throttle(verdict.pauseMs, () => this.#readingResumes());
  }

  #readingResumes(): 'reading' | 'backlogged' {
    this.#rate.readingResumed();
    return this.#inboxFull() ? 'backlogged' : 'reading';
  }

  /**
   * Closes a connection still flooding past its rate. Nothing it sends is read any more (the
   * flood would otherwise be parsed until the peer answers the close), so the socket goes after
   * a grace whether or not the peer answered.
   */
  #closeFlooder(): void {
    this.#log.warn('still flooding past the rate limit, closing');
    this.close(CloseCode.PolicyViolation, CloseReason[CloseCode.PolicyViolation]);
    this.#reading.stop();
    setTimeout(() => this.socket.terminate(), this.ctx.closeGraceMs).unref();
  }

  #enqueue(frame: ClientFrame, byteLength: number, text: string): void {
    // A frame that will wait behind others is kept as its text when large (see frame-inbox.ts).
    this.#inbox.push(frame, byteLength, this.#handling || this.#inbox.size > 0 ? text : undefined);
    // A connection whose frames wait (behind a long replay) is not read further for now.
    if (this.#inboxFull()) this.#reading.backlog();
    if (this.#handling) return;
    // Started after the current chunk's frames are all in, so subscribes sent together are seen together.
    this.#handling = Promise.resolve().then(() => this.#handleInbox());
  }

  async #handleInbox(): Promise<void> {
    for (let frame = this.#inbox.shift(); frame && isServing(this.#state); frame = this.#inbox.shift()) {
      try {
        await this.#dispatch(frame);
      } catch (error) {
        this.#log.error({ err: error, action: frame.action }, 'frame handling failed');
        this.sendError(ErrorCode.InvalidMessage, 'the server could not handle this frame', frame.id);
      }
    }
    this.#handling = undefined;
    if (isServing(this.#state)) this.#reading.drained();
  }

  async #dispatch(frame: ClientFrame): Promise<void> {
    switch (frame.action) {
      case Action.Subscribe:
        return this.#subscribe(frame);
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

  /**
   * Answers `first` together with the other subscribes of its channel already waiting: each gets
   * its reply, then one catch-up in seq order — replay (sliced), then the live messages that
   * waited meanwhile — and the channel goes live.
   */
  async #subscribe(first: SubscribeFrame): Promise<void> {
    const channel = first.channel;
    if (first.since !== undefined) {
      await this.#inbox.restOfBurst(
        () => isServing(this.#state),
        () => receiverBusy(this.socket),
      );
    }
    const frames = [first, ...this.#inbox.takeSubscribes(channel)];
    const others: Served[] = this.#subscriptions
      .of(channel)
      .map((subscription) => ({ subscription, coveredFrom: this.#coveredFrom.get(subscription) }));
    // Live messages wait while the position and history are read, then go out in seq order.
    const pending: PendingChannel = { queued: [], bytes: 0 };
    this.#pending.set(channel, pending);
    try {
      const admissions = frames.map((frame) => this.#admit(frame));
      const admitted = admissions.filter((a): a is Admitted => 'subscription' in a);
      const { answers, source } = await readAnswers(
        this.ctx.broker,
        channel,
        admitted.map((a) => a.frame),
      );
      const answered = this.#replySubscribed(admissions, answers);
      const position = source ?? firstPosition(answers);
      if (isServing(this.#state)) await this.#catchUp(channel, { answered, others, source, position, pending });
    } finally {
      if (this.#pending.get(channel) === pending) this.#pending.delete(channel);
      for (const { message, frame } of pending.queued.splice(0)) this.#sendDelivery(message, frame);
    }
  }

  /**
   * Sends what the answered subscribes are owed, in seq order: the replay (sliced), then the live
   * messages that waited meanwhile; then records how far the channel has been served.
   */
  async #catchUp(
    channel: string,
    group: {
      readonly answered: readonly Answered[];
      readonly others: readonly Served[];
      readonly source: Replay | undefined;
      readonly position: Position | undefined;
      readonly pending: PendingChannel;
    },
  ): Promise<void> {
    const { answered, others, source, position, pending } = group;
    const selector = new CatchUpSelector({ answered, others, sentBefore: this.#sent.get(channel) });
    if (source) {
      const outcome = await sendReplay(source.pages, (m) => selector.takeReplayed(m), this.#replayTarget);
      if (outcome.status === 'closed') return;
      if (outcome.status === 'failed') this.#replayFailed(channel, answered, outcome.error);
    }
    for (const item of selector.takeQueued(pending.queued.splice(0))) this.#sendBytes(item.frame);
    if (position) this.#sent.set(channel, selector.sentAfter(position));
    for (const { member, coveredFrom } of answered)
      if (member.isNew) this.#coveredFrom.set(member.subscription, coveredFrom);
  }

  /** Checks policy and limits; an admitted subscription joins the hub (live messages then wait in pending). */
  #admit(frame: SubscribeFrame): Admission {
    const { channel } = frame;
    const role = this.#principal.role;
    if (!this.ctx.policy.allows(role, 'subscribe', channel)) {
      this.#drop({ reason: 'forbidden' });
      return { frame, code: ErrorCode.Forbidden, message: `role ${role} may not subscribe to ${channel}` };
    }
    const subscription = createSubscription(frame.filters);
    const isNew = this.#subscriptions.isNew(channel, subscription);
    const refusal = isNew ? this.#subscriptions.refusal(subscription.filters) : undefined;
    if (refusal) return { frame, code: ErrorCode.TooManySubscriptions, message: refusal };
    this.#subscriptions.add(channel, subscription);
    return { frame, subscription, isNew };
  }

  /** Replies to every subscribe of a group in request order; returns the answered ones and where each starts. */
  #replySubscribed(admissions: readonly Admission[], answers: readonly SubscribeAnswer[]): Answered[] {
    const answered: Answered[] = [];
    let next = 0;
    for (const admission of admissions) {
      const { frame } = admission;
      if (!('subscription' in admission)) {
        this.sendError(admission.code, admission.message, frame.id);
        continue;
      }
      const answer = answers[next++]!;
      if (!answer.ok) {
        this.#log.warn({ err: answer.error, channel: frame.channel }, 'history unavailable');
        this.sendError(ErrorCode.HistoryUnavailable, `history of ${frame.channel} is unavailable right now`, frame.id);
        if (admission.isNew) this.#subscriptions.removeOne(frame.channel, admission.subscription);
        continue;
      }
      const { reply, answered: served } = answerSubscribe(admission, answer);
      this.send(reply);
      answered.push(served);
    }
    return answered;
  }

  #replayFailed(channel: string, answered: readonly Answered[], error: unknown): void {
    this.#log.warn({ err: error, channel }, 'history changed while it was replayed');
    for (const { member, recovered } of answered) {
      if (!recovered) continue;
      const message = `history of ${channel} changed while it was replayed; some messages are missing`;
      this.sendError(ErrorCode.HistoryUnavailable, message, member.frame.id);
    }
  }

  async #unsubscribe(frame: UnsubscribeFrame): Promise<void> {
    this.#subscriptions.removeChannel(frame.channel);
    this.#sent.delete(frame.channel);
    this.send({ type: FrameType.Unsubscribed, ...idOf(frame.id), channel: frame.channel });
  }

  async #publish(frame: PublishFrame): Promise<void> {
    const { channel, id, payload } = frame;
    if (!this.ctx.policy.allows(this.#principal.role, 'publish', channel)) {
      this.#drop({ reason: 'forbidden' });
      return this.sendError(ErrorCode.Forbidden, `role ${this.#principal.role} may not publish to ${channel}`, id);
    }
    const check = checkDomainPublish(channel, payload, { principal: this.#principal, tasks: this.ctx.tasks });
    if (!check.ok) {
      this.#drop({ reason: check.code === ErrorCode.Forbidden ? 'forbidden' : 'invalid' });
      return this.sendError(check.code, check.message, id);
    }
    let message: BrokerMessage;
    try {
      message = await this.ctx.broker.publish({
        channel,
        kind: 'message',
        from: this.#principal.userId,
        data: payload,
      });
    } catch (error) {
      if (!(error instanceof BrokerUnavailableError)) throw error;
      return this.sendError(ErrorCode.Unavailable, `${channel}: ${error.message}; nothing was delivered`, id);
    }
    this.ctx.metrics.countChannelMessage(channel);
    this.ctx.onPublished?.(message, this);
    if (id !== undefined) this.send({ type: FrameType.Ack, id, channel, seq: message.seq, epoch: message.epoch });
  }

  async #refresh(frame: RefreshFrame): Promise<void> {
    const result = await this.ctx.auth.verify(frame.token);
    if (!result.ok) return this.sendError(ErrorCode.Forbidden, `refresh refused: ${result.message}`, frame.id);
    const refusal = refreshRefusal(this.#principal, result.principal);
    if (refusal) return this.sendError(ErrorCode.Forbidden, `refresh refused: ${refusal}`, frame.id);
    // Same identity, new expiry; the rate buckets stay the connection's, so a refresh never refills them.
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
    this.#drop({ reason: 'slow_consumer' });
    this.#log.warn({ waitingBytes, bufferedBytes: this.#writer.bufferedBytes }, 'slow consumer, closing');
    this.close(CloseCode.SlowConsumer, CloseReason[CloseCode.SlowConsumer]);
    // The close frame waits behind the unsent data; do not wait for a peer that is not reading.
    setTimeout(() => this.socket.terminate(), this.ctx.closeGraceMs).unref();
    this.#release();
  }

  #drop(labels: { reason: string }): void {
    this.dropped++;
    this.ctx.metrics.dropped.inc(labels);
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

  #transition(next: SessionState, reason: string): void {
    const previous = this.#state;
    if (!canTransition(previous, next)) return;
    this.#state = next;
    this.#log.trace({ previous, next, reason }, 'state');
  }

  /** Drops every subscription, waiting frame and timer; idempotent. */
  #release(): void {
    clearTimeout(this.#expiryTimer);
    if (this.#holdsUserRate) this.ctx.userRates?.release(this.#principal.userId);
    this.#holdsUserRate = false;
    this.#reading.release();
    this.#subscriptions.clear();
    this.#pending.clear();
    this.#inbox.clear();
  }

  /** @internal */
  handleClose(code: number): void {
    this.#transition('closed', `socket closed (${code})`);
    this.#release();
    this.#log.debug({ code }, 'connection closed');
    this.ctx.onClose(this);
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

function socketOnMessage(session: Session, data: RawData, isBinary: boolean): void {
  session.receive(data, isBinary);
}

function socketOnPong(session: Session): void {
  session.pongReceived();
}

function socketOnClose(session: Session, code: number): void {
  session.handleClose(code);
}

function socketOnError(session: Session, error: Error): void {
  session.logError(error);
}
