/**
 * `GET /api/channels/:channel/history` (bearer; the subscribe policy decides): the kept messages
 * of a channel, oldest first — what a page loads to draw the recent past at once.
 * `?since=<seq>`: the messages after that seq; without it, the newest ones. `?limit=` default
 * `Limits.defaultListLimit`, at most `Limits.maxListLimit`.
 */
import { Router } from 'express';
import { z } from 'zod';
import { HttpStatus, Limits, Paths, RestErrorCode, channelSchema } from '@nexus-realtime/client/protocol';
import { HistoryTrimmedError, replayRecent, type Broker, type BrokerMessage, type Replay } from '../broker/broker.js';
import type { Policy } from '../policy.js';
import { sendError } from './errors.js';
import { principalOf } from './require-auth.js';

const wholeNumber = z
  .string()
  .regex(/^\d{1,15}$/, 'must be a whole number')
  .transform(Number);

const querySchema = z.object({
  since: wholeNumber.optional(),
  limit: wholeNumber
    .refine((n) => n >= 1 && n <= Limits.maxListLimit, `limit must be between 1 and ${Limits.maxListLimit}`)
    .default(Limits.defaultListLimit),
});

/** One message as the history route answers it. */
interface HistoryMessage {
  readonly type: BrokerMessage['kind'];
  readonly seq: number;
  readonly from: string;
  readonly data: unknown;
  readonly timestamp: string;
}

export function historyRoutes(broker: Broker, policy: Policy): Router {
  const router = Router();
  router.get(Paths.channelHistory, async (req, res, next) => {
    const channel = channelSchema.safeParse(req.params.channel);
    if (!channel.success)
      return sendError(res, HttpStatus.BadRequest, RestErrorCode.InvalidRequest, 'bad channel name');
    const query = querySchema.safeParse(req.query);
    if (!query.success) {
      const message = query.error.issues[0]?.message ?? 'bad query';
      return sendError(res, HttpStatus.BadRequest, RestErrorCode.InvalidRequest, message);
    }
    if (!policy.allows(principalOf(res).role, 'subscribe', channel.data))
      return sendError(res, HttpStatus.Forbidden, RestErrorCode.Forbidden, `not allowed to read ${channel.data}`);
    try {
      const { since, limit } = query.data;
      const replay =
        since === undefined
          ? await replayRecent(broker, channel.data, limit)
          : await after(broker, channel.data, since);
      const messages = await readPages(replay, limit);
      res.json({ channel: channel.data, epoch: replay.epoch, seq: replay.seq, messages });
    } catch (error) {
      next(error);
    }
  });
  return router;
}

/** The kept messages after `since`; when history no longer reaches back that far, from its oldest. */
async function after(broker: Broker, channel: string, since: number): Promise<Replay> {
  const replay = await broker.replay(channel, since, undefined);
  if (replay.recovered || replay.oldestSeq === undefined || since >= replay.seq) return replay;
  return broker.replay(channel, Math.max(since, replay.oldestSeq - 1), replay.epoch);
}

/** Up to `limit` messages of the replay, oldest first; a page trimmed meanwhile ends the answer. */
async function readPages(replay: Replay, limit: number): Promise<HistoryMessage[]> {
  const out: HistoryMessage[] = [];
  try {
    for await (const page of replay.pages) {
      for (const m of page) {
        if (out.length >= limit) return out;
        out.push({ type: m.kind, seq: m.seq, from: m.from, data: m.data, timestamp: m.timestamp });
      }
      if (out.length >= limit) return out;
    }
  } catch (error) {
    if (!(error instanceof HistoryTrimmedError)) throw error;
  }
  return out;
}
