/**
 * What a session sends when a subscribe is answered: the new subscription's replayed history
 * above where it starts, the live messages that arrived while the answer was read, and what the
 * channel's earlier subscriptions were owed meanwhile — in seq order, each once, nothing that
 * was already sent. Pure: the session sends what this returns.
 */
import type { BrokerMessage } from './broker/broker.js';
import type { Subscription } from './hub.js';

/** A point in a channel's numbering. */
export interface Position {
  readonly seq: number;
  readonly epoch: string;
}

/** True when the message comes after `position` (any message of another epoch does; every message does when nothing is known). */
export function isAfter(message: BrokerMessage, position: Position | undefined): boolean {
  if (!position) return true;
  return message.epoch !== position.epoch || message.seq > position.seq;
}

export interface CatchUpInput {
  readonly subscription: Subscription;
  /** The new subscription wants messages after this point. */
  readonly coveredFrom: Position;
  /** The channel's earlier subscriptions, each with the point after which it has been served. */
  readonly others: readonly { readonly subscription: Subscription; readonly coveredFrom: Position | undefined }[];
  /** Replayed history (the answer to `since`). */
  readonly replayed: readonly BrokerMessage[];
  /** Live messages that arrived while the answer was read, with their shared encoding. */
  readonly queued: readonly { readonly message: BrokerMessage; readonly frame: Buffer }[];
  /** The channel's position in the answer. */
  readonly position: Position;
  /** The last point sent on this channel before the subscribe. */
  readonly sentBefore: Position | undefined;
}

export interface CatchUp {
  readonly send: readonly { readonly message: BrokerMessage; readonly frame?: Buffer }[];
  /** The last point sent on the channel afterwards. */
  readonly sent: Position;
}

export function planCatchUp(input: CatchUpInput): CatchUp {
  const candidates = new Map<number, { message: BrokerMessage; frame?: Buffer }>();
  for (const message of input.replayed) candidates.set(message.seq, { message });
  for (const item of input.queued) candidates.set(item.message.seq, item);
  const send: { message: BrokerMessage; frame?: Buffer }[] = [];
  let last = input.position;
  for (const item of [...candidates.values()].sort((a, b) => a.message.seq - b.message.seq)) {
    const { message } = item;
    const owedToOthers = input.others.some(
      (o) => o.coveredFrom !== undefined && isAfter(message, o.coveredFrom) && o.subscription.matches(message.data),
    );
    const alreadySent = owedToOthers && !isAfter(message, input.sentBefore);
    const wanted =
      !alreadySent &&
      (owedToOthers || (isAfter(message, input.coveredFrom) && input.subscription.matches(message.data)));
    if (!wanted) continue;
    send.push(item);
    if (isAfter(message, last)) last = { seq: message.seq, epoch: message.epoch };
  }
  const sentBefore = input.sentBefore;
  if (sentBefore && sentBefore.epoch === last.epoch && sentBefore.seq > last.seq) last = sentBefore;
  return { send, sent: last };
}
