/**
 * The subscribe flow of one connection: a subscribe is answered together with the other
 * subscribes of its channel already waiting — each checked (policy, bounds) and replied to, then
 * one catch-up in seq order: the replay (sliced), then the live messages that arrived meanwhile —
 * and the channel goes live. While a channel's subscribes are answered, its live messages wait
 * here (`hold`), so a replay is never interleaved with them.
 *
 * History reads are in `subscribe-answers.ts`, what each subscription is owed in `catch-up.ts`,
 * the sliced replay in `replay-sender.ts`, the connection's subscriptions and their bounds in
 * `channel-subscriptions.ts`.
 */
import {
  AuditAction,
  ErrorCode,
  filtersByteLength,
  type ErrorCode as ErrorCodeType,
  type RequestId,
  type Role,
  type ServerFrame,
  type SubscribeFrame,
} from '@nexus-realtime/client/protocol';
import type { Principal } from '../auth.js';
import type { Broker, BrokerMessage, Replay } from '../broker/index.js';
import type { AuditRecorder } from '../domain/index.js';
import { createSubscription, type Subscription } from '../fanout/index.js';
import type { Logger } from '../logger.js';
import type { DropReason } from '../metrics.js';
import type { Policy } from '../policy.js';
import { CatchUpSelector, type Position, type Queued, type Served } from './catch-up.js';
import type { ChannelSubscriptions } from './channel-subscriptions.js';
import { sendReplay, type ReplayTarget } from './replay-sender.js';
import { filtersFingerprint, readInFull, unreadFiltersOf } from './unread-filters.js';
import {
  answerSubscribe,
  firstPosition,
  readAnswers,
  type Admission,
  type Admitted,
  type Answered,
  type SubscribeAnswer,
} from './subscribe-answers.js';

/** What the subscribe flow needs from its session. */
export interface SubscribeHost {
  readonly broker: Broker;
  readonly policy: Policy;
  readonly log: Logger;
  /** The connection's subscriptions. */
  readonly subscriptions: ChannelSubscriptions;
  /** Highest seq sent per channel: nothing at or below it is sent again. */
  readonly sent: Map<string, Position>;
  /** Where a replay goes, paced. */
  readonly replayTarget: ReplayTarget;
  role(): Role;
  /** Who the connection speaks for (a refused subscribe is recorded under it). */
  principal(): Principal;
  /** Where refused subscribes are recorded (absent: nowhere). */
  readonly audit?: AuditRecorder;
  isServing(): boolean;
  /** Waits while frames of the same burst are still being handed over. */
  restOfBurst(): Promise<void>;
  /** Takes the subscribes of `channel` waiting to be handled. */
  takeSubscribes(channel: string): SubscribeFrame[];
  drop(reason: DropReason): void;
  send(frame: ServerFrame): void;
  sendError(code: ErrorCodeType, message: string, id?: RequestId): void;
  /** Sends an encoded frame as it is. */
  sendEncoded(frame: Buffer, message: BrokerMessage): void;
  /** Sends a live message unless it was already sent. */
  sendDelivery(message: BrokerMessage, frame: Buffer): void;
}

/** Live messages of a channel that arrive while its subscribes are answered wait here. */
interface PendingChannel {
  readonly queued: Queued[];
  bytes: number;
}

export class SubscribeFlow {
  readonly #pending = new Map<string, PendingChannel>();
  /** Per subscription, the seq above which it has been served (live or replayed). */
  readonly #coveredFrom = new WeakMap<Subscription, Position>();

  constructor(private readonly host: SubscribeHost) {}

  /**
   * Keeps a live message of a channel whose subscribes are being answered, to go out after the
   * catch-up; returns the bytes now waiting for that channel. Undefined when the channel is not
   * waiting: the message goes out now.
   */
  hold(message: BrokerMessage, frame: Buffer): number | undefined {
    const pending = this.#pending.get(message.channel);
    if (!pending) return undefined;
    pending.queued.push({ message, frame });
    pending.bytes += frame.length;
    return pending.bytes;
  }

  /** Nothing waits any more (the connection is gone). */
  clear(): void {
    this.#pending.clear();
  }

  /**
   * Answers `first` together with the other subscribes of its channel already waiting: each gets
   * its reply, then one catch-up in seq order — replay (sliced), then the live messages that
   * waited meanwhile — and the channel goes live.
   */
  async subscribe(first: SubscribeFrame): Promise<void> {
    const { host } = this;
    const channel = first.channel;
    if (first.since !== undefined) await host.restOfBurst();
    const frames = [first, ...host.takeSubscribes(channel)];
    const others: Served[] = host.subscriptions
      .of(channel)
      .map((subscription) => ({ subscription, coveredFrom: this.#coveredFrom.get(subscription) }));
    // Live messages wait while the position and history are read, then go out in seq order.
    const pending: PendingChannel = { queued: [], bytes: 0 };
    this.#pending.set(channel, pending);
    try {
      const admissions = frames.map((frame) => this.#admit(frame));
      const admitted = admissions.filter((a): a is Admitted => 'subscription' in a);
      const { answers, source } = await readAnswers(
        host.broker,
        channel,
        admitted.map((a) => a.frame),
      );
      const answered = this.#replySubscribed(admissions, answers);
      const position = source ?? firstPosition(answers);
      if (host.isServing()) await this.#catchUp(channel, { answered, others, source, position, pending });
    } finally {
      if (this.#pending.get(channel) === pending) this.#pending.delete(channel);
      for (const { message, frame } of pending.queued.splice(0)) host.sendDelivery(message, frame);
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
    const { host } = this;
    const selector = new CatchUpSelector({ answered, others, sentBefore: host.sent.get(channel) });
    if (source) {
      const outcome = await sendReplay(source.pages, (m) => selector.takeReplayed(m), host.replayTarget);
      if (outcome.status === 'closed') return;
      if (outcome.status === 'failed') this.#replayFailed(channel, answered, outcome.error);
    }
    for (const item of selector.takeQueued(pending.queued.splice(0))) host.sendEncoded(item.frame, item.message);
    if (position) host.sent.set(channel, selector.sentAfter(position));
    for (const { member, coveredFrom } of answered)
      if (member.isNew) this.#coveredFrom.set(member.subscription, coveredFrom);
  }

  /** Checks policy and limits; an admitted subscription joins the hub (live messages then wait in pending). */
  #admit(received: SubscribeFrame): Admission {
    const { channel } = received;
    const { host } = this;
    const role = host.role();
    if (!host.policy.allows(role, 'subscribe', channel)) {
      host.drop('forbidden');
      const message = `role ${role} may not subscribe to ${channel}`;
      host.audit?.refused(host.principal(), AuditAction.Subscribe, ErrorCode.Forbidden, { channel, detail: message });
      return { frame: received, code: ErrorCode.Forbidden, message };
    }
    // The bounds are checked on the filters' size first: a connection at its bounds that keeps
    // subscribing is refused without its filters being sorted and compiled, unless the frame may
    // repeat a subscription it already holds (which is answered, not refused).
    const unread = unreadFiltersOf(received);
    const bytes = unread ? unread.filtersBytes : filtersByteLength(received.filters);
    const refusal = host.subscriptions.refusal(bytes);
    if (
      refusal &&
      !host.subscriptions.mayHold(channel, unread?.filtersFingerprint ?? filtersFingerprint(received.filters))
    ) {
      return { frame: received, code: ErrorCode.TooManySubscriptions, message: refusal };
    }
    // Filters left unread on the way in (unread-filters.ts) are read now that they may be kept.
    const read = unread ? readInFull(unread) : { ok: true as const, frame: received };
    if (!read.ok) {
      host.drop('invalid');
      return { frame: received, code: read.code, message: read.message };
    }
    const frame = read.frame;
    const subscription = createSubscription(frame.filters, bytes);
    const isNew = host.subscriptions.isNew(channel, subscription);
    if (refusal && isNew) return { frame, code: ErrorCode.TooManySubscriptions, message: refusal };
    host.subscriptions.add(channel, subscription);
    return { frame, subscription, isNew };
  }

  /** Replies to every subscribe of a group in request order; returns the answered ones and where each starts. */
  #replySubscribed(admissions: readonly Admission[], answers: readonly SubscribeAnswer[]): Answered[] {
    const { host } = this;
    const answered: Answered[] = [];
    let next = 0;
    for (const admission of admissions) {
      const { frame } = admission;
      if (!('subscription' in admission)) {
        host.sendError(admission.code, admission.message, frame.id);
        continue;
      }
      const answer = answers[next++]!;
      if (!answer.ok) {
        host.log.warn({ err: answer.error, channel: frame.channel }, 'history unavailable');
        host.sendError(ErrorCode.HistoryUnavailable, `history of ${frame.channel} is unavailable right now`, frame.id);
        if (admission.isNew) host.subscriptions.removeOne(frame.channel, admission.subscription);
        continue;
      }
      const { reply, answered: served } = answerSubscribe(admission, answer);
      host.send(reply);
      answered.push(served);
    }
    return answered;
  }

  #replayFailed(channel: string, answered: readonly Answered[], error: unknown): void {
    this.host.log.warn({ err: error, channel }, 'history changed while it was replayed');
    for (const { member, recovered } of answered) {
      if (!recovered) continue;
      const message = `history of ${channel} changed while it was replayed; some messages are missing`;
      this.host.sendError(ErrorCode.HistoryUnavailable, message, member.frame.id);
    }
  }
}
