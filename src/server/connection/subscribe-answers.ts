/**
 * The answers to a group of subscribes of one channel. `readAnswers` asks the broker with as few
 * history reads as possible: one read from the smallest `since` decides every subscribe it
 * covers, and that read's pages are the one replay the group shares. A subscribe whose `since`
 * is older than the kept history (or of another epoch) is answered `recovered: false` without
 * hiding that a later `since` of the same group may still be recovered. `answerSubscribe` shapes
 * one subscribe's `subscribed` reply and the point its subscription is served from.
 */
import { FrameType, type ErrorCode, type SubscribeFrame, type SubscribedFrame } from '@nexus-realtime/client/protocol';
import type { Broker, ChannelPosition, Replay } from '../broker/index.js';
import type { Position, Served } from './catch-up.js';
import type { Subscription } from '../fanout/index.js';

/** A subscribe that passed policy and limits: its subscription is in the hub. */
export interface Admitted {
  readonly frame: SubscribeFrame;
  readonly subscription: Subscription;
  readonly isNew: boolean;
}
/** A subscribe of a group, admitted or refused (with the error to answer). */
export type Admission =
  Admitted | { readonly frame: SubscribeFrame; readonly code: ErrorCode; readonly message: string };

/** An admitted subscribe that was answered, with the point it is served from. */
export interface Answered extends Served<Position> {
  readonly member: Admitted;
  /** True when its `since` is replayed. */
  readonly recovered: boolean;
}

/** What a subscribe asks for: `since` and `epoch` when it wants a replay. */
export interface ReplayRequest {
  readonly since?: number | undefined;
  readonly epoch?: string | undefined;
}

/** The answer to one subscribe: the channel's position, and `recovered` when `since` was given. */
export type SubscribeAnswer =
  | { readonly ok: true; readonly seq: number; readonly epoch: string; readonly recovered?: boolean }
  | { readonly ok: false; readonly error: unknown };

export interface GroupAnswers {
  /** One answer per request, in the same order. */
  readonly answers: readonly SubscribeAnswer[];
  /** The replay every recovered subscribe is served from (absent when none is recovered). */
  readonly source: Replay | undefined;
}

/** Reads the answers of `requests` (subscribes of `channel`). */
export async function readAnswers(
  broker: Broker,
  channel: string,
  requests: readonly ReplayRequest[],
): Promise<GroupAnswers> {
  // A position read before the broker listens could miss a message published in between.
  await broker.listening(channel);
  const answers = new Array<SubscribeAnswer | undefined>(requests.length);
  const undecided = requests
    .map((request, index) => ({ index, since: request.since, epoch: request.epoch }))
    .filter((r): r is { index: number; since: number; epoch: string | undefined } => r.since !== undefined)
    .sort((a, b) => a.since - b.since);
  let source: Replay | undefined;
  let latest: ChannelPosition | undefined;
  while (undecided.length > 0 && !source) {
    const first = undecided[0]!;
    let replay: Replay;
    try {
      replay = await broker.replay(channel, first.since, first.epoch);
    } catch (error) {
      for (const r of undecided.splice(0)) answers[r.index] = { ok: false, error };
      break;
    }
    latest = replay;
    if (replay.recovered) source = replay;
    // Whatever this read decides: everything when it recovered; otherwise the requests that
    // share the first one's reason (same since and epoch, an epoch that is not the server's, or
    // a since beyond the channel's seq).
    for (let i = 0; i < undecided.length; i++) {
      const r = undecided[i]!;
      const epochMatches = r.epoch === undefined || r.epoch === replay.epoch;
      const recovered = replay.recovered && epochMatches && r.since <= replay.seq;
      const decided =
        replay.recovered ||
        !epochMatches ||
        r.since > replay.seq ||
        (r.since === first.since && r.epoch === first.epoch);
      if (!decided) continue;
      answers[r.index] = { ok: true, seq: replay.seq, epoch: replay.epoch, recovered };
      undecided.splice(i--, 1);
    }
  }
  const rest = requests.map((_, index) => index).filter((index) => answers[index] === undefined);
  if (rest.length > 0) {
    const position = latest ?? (await readPosition(broker, channel));
    for (const index of rest) answers[index] = 'seq' in position ? { ok: true, ...pick(position) } : position;
  }
  return { answers: answers as SubscribeAnswer[], source };
}

async function readPosition(broker: Broker, channel: string): Promise<ChannelPosition | { ok: false; error: unknown }> {
  try {
    return await broker.position(channel);
  } catch (error) {
    return { ok: false, error };
  }
}

function pick(position: ChannelPosition): ChannelPosition {
  return { seq: position.seq, epoch: position.epoch };
}

/** The `subscribed` reply to an admitted subscribe, and where its subscription starts. */
export function answerSubscribe(
  member: Admitted,
  answer: Extract<SubscribeAnswer, { ok: true }>,
): { readonly reply: SubscribedFrame; readonly answered: Answered } {
  const { frame, subscription } = member;
  const { seq, epoch } = answer;
  const recovered = answer.recovered === true;
  const reply: SubscribedFrame = {
    type: FrameType.Subscribed,
    ...(frame.id === undefined ? {} : { id: frame.id }),
    channel: frame.channel,
    ...(subscription.filters ? { filters: subscription.filters } : {}),
    seq,
    epoch,
    ...(answer.recovered === undefined ? {} : { recovered }),
  };
  // A recovered subscription is served from its `since`; any other from the channel's position.
  const coveredFrom = { seq: recovered ? frame.since! : seq, epoch };
  return { reply, answered: { subscription, coveredFrom, member, recovered } };
}

/** The channel's position in the first answer that has one. */
export function firstPosition(answers: readonly SubscribeAnswer[]): Position | undefined {
  for (const answer of answers) if (answer.ok) return { seq: answer.seq, epoch: answer.epoch };
  return undefined;
}
