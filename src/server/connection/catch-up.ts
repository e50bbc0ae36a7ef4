/**
 * What a session sends when subscribes of one channel are answered: the replayed history above
 * where each answered subscription starts, the live messages that arrived while the answer was
 * read or sent, and what the channel's earlier subscriptions were owed meanwhile — in seq order,
 * each once, nothing that was already sent. Pure: the session sends what this selects.
 *
 * A replay can be long, so it is offered in pieces (`takeReplayed`, one message at a time, in
 * seq order), then the queued live messages (`takeQueued`); `planCatchUp` does both at once.
 */
import type { BrokerMessage } from '../broker/index.js';
import type { Subscription } from '../fanout/index.js';

/** A point in a channel's numbering. */
export interface Position {
  readonly seq: number;
  readonly epoch: string;
}

/** True when the message comes after `position` (any message of another epoch does; every message does when nothing is known). */
export function isAfter(message: Position, position: Position | undefined): boolean {
  if (!position) return true;
  return message.epoch !== position.epoch || message.seq > position.seq;
}

/** A subscription and the point after which it has been (or is being) served. */
export interface Served<P extends Position | undefined = Position | undefined> {
  readonly subscription: Subscription;
  readonly coveredFrom: P;
}

export interface CatchUpScope {
  /** The subscriptions being answered, each wanting the messages after its own point. */
  readonly answered: readonly Served<Position>[];
  /** The channel's earlier subscriptions, each with the point after which it has been served. */
  readonly others: readonly Served[];
  /** The last point sent on this channel before the subscribes. */
  readonly sentBefore: Position | undefined;
}

/** A live message waiting while the answer was sent, with its shared encoding. */
export interface Queued {
  readonly message: BrokerMessage;
  readonly frame: Buffer;
}

/** True when the scope must send `message` (leaving aside whether it was offered before). */
export function isOwed(scope: CatchUpScope, message: BrokerMessage): boolean {
  // The payload is read (parsed, for a kept message) only for a filtered subscription.
  const wants = (s: Served) =>
    s.coveredFrom !== undefined &&
    isAfter(message, s.coveredFrom) &&
    (s.subscription.filters === undefined || s.subscription.matches(message.data));
  if (scope.others.some(wants)) return isAfter(message, scope.sentBefore);
  return scope.answered.some(wants);
}

/**
 * Selects, from the messages offered, those to send. Replayed messages come in seq order from
 * one history read, so the seqs already examined form one range; queued messages inside it are
 * duplicates of replayed ones.
 */
export class CatchUpSelector {
  #examined: { readonly epoch: string; readonly after: number; to: number } | undefined;
  #last: Position | undefined;

  constructor(readonly scope: CatchUpScope) {}

  /** Offers the next replayed message; true when it must be sent. */
  takeReplayed(message: BrokerMessage): boolean {
    const examined = this.#examined;
    if (!examined || examined.epoch !== message.epoch) {
      this.#examined = { epoch: message.epoch, after: message.seq - 1, to: message.seq };
    } else if (message.seq <= examined.to) {
      return false;
    } else {
      examined.to = message.seq;
    }
    return this.#select(message);
  }

  /** The queued live messages to send, in seq order, each once and none already replayed. */
  takeQueued<T extends Queued>(queued: readonly T[]): T[] {
    const bySeq = new Map<string, T>();
    for (const item of queued) bySeq.set(`${item.message.epoch}:${item.message.seq}`, item);
    return [...bySeq.values()]
      .sort((a, b) => a.message.seq - b.message.seq)
      .filter((item) => !this.#wasReplayed(item.message) && this.#select(item.message));
  }

  /** The last point sent on the channel once the answer is out, given the channel's position in it. */
  sentAfter(position: Position): Position {
    let last = position;
    if (this.#last && isAfter(this.#last, last)) last = this.#last;
    const before = this.scope.sentBefore;
    if (before && before.epoch === last.epoch && before.seq > last.seq) last = before;
    return last;
  }

  #wasReplayed(message: BrokerMessage): boolean {
    const examined = this.#examined;
    return !!examined && examined.epoch === message.epoch && message.seq > examined.after && message.seq <= examined.to;
  }

  #select(message: BrokerMessage): boolean {
    if (!isOwed(this.scope, message)) return false;
    if (isAfter(message, this.#last)) this.#last = { seq: message.seq, epoch: message.epoch };
    return true;
  }
}

export interface CatchUpInput extends CatchUpScope {
  /** Replayed history (the answer to `since`), in seq order. */
  readonly replayed: readonly BrokerMessage[];
  /** Live messages that arrived while the answer was read. */
  readonly queued: readonly Queued[];
  /** The channel's position in the answer. */
  readonly position: Position;
}

export interface CatchUp {
  readonly send: readonly { readonly message: BrokerMessage; readonly frame?: Buffer }[];
  /** The last point sent on the channel afterwards. */
  readonly sent: Position;
}

/** The whole catch-up at once: replayed messages, then queued ones. */
export function planCatchUp(input: CatchUpInput): CatchUp {
  const selector = new CatchUpSelector(input);
  const send: { message: BrokerMessage; frame?: Buffer }[] = input.replayed
    .filter((message) => selector.takeReplayed(message))
    .map((message) => ({ message }));
  send.push(...selector.takeQueued(input.queued));
  return { send, sent: selector.sentAfter(input.position) };
}
