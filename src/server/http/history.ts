/**
 * `GET /api/channels/:channel/history` (bearer; the subscribe policy decides): the kept messages
 * of a channel, oldest first — what a page loads to draw the recent past at once.
 * `?since=<seq>`: the messages after that seq; without it, the newest ones. `?limit=` default
 * `Limits.defaultListLimit`, at most `Limits.maxListLimit`. Streamed, and at most
 * `MAX_ANSWER_BYTES`: a longer answer ends early with `"next"`, the `since` for the rest.
 */
import { Router, type Response } from 'express';
import { z } from 'zod';
import { HttpStatus, Limits, Paths, RestErrorCode, channelSchema } from '@nexus-realtime/client/protocol';
import {
  HistoryTrimmedError,
  replayRecent,
  type Broker,
  type BrokerMessage,
  type Replay,
  frameOf,
  payloadBytes,
} from '../broker/index.js';
import type { Policy } from '../policy.js';
import { sendError } from './errors.js';
import { JsonStream, MAX_ANSWER_BYTES } from './json-stream.js';
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
      await streamHistory(res, channel.data, replay, limit);
    } catch (error) {
      if (!res.headersSent) return next(error);
      res.destroy(error as Error);
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

/**
 * Writes up to `limit` messages of the replay, oldest first, as the client reads them; a page
 * trimmed meanwhile ends the answer. Each message's payload is written from the bytes history
 * keeps, never parsed. Past `MAX_ANSWER_BYTES` the answer ends with `"next"`: the `since` that
 * asks for the rest.
 */
async function streamHistory(res: Response, channel: string, replay: Replay, limit: number): Promise<void> {
  const stream = new JsonStream(res);
  res.status(HttpStatus.Ok).type('application/json');
  await stream.write(
    `{"channel":${JSON.stringify(channel)},"epoch":${JSON.stringify(replay.epoch)},"seq":${replay.seq},"messages":[`,
  );
  let sent = 0;
  let next: number | undefined;
  try {
    pages: for await (const page of replay.pages) {
      for (const message of page) {
        if (sent >= limit || stream.closed) break pages;
        const [head, data, tail] = historyItem(message);
        const size = Buffer.byteLength(head) + data.length + Buffer.byteLength(tail) + 1;
        if (sent > 0 && stream.bytes + size > MAX_ANSWER_BYTES) {
          next = message.seq - 1;
          break pages;
        }
        await stream.write(sent > 0 ? `,${head}` : head);
        await stream.write(data);
        await stream.write(tail);
        sent++;
      }
    }
  } catch (error) {
    if (!(error instanceof HistoryTrimmedError)) throw error;
  }
  stream.end(next === undefined ? ']}' : `],"next":${next}}`);
}

/** One message as the route answers it, `{"type","seq","from","data","timestamp"}`, in three pieces. */
function historyItem(message: BrokerMessage): [string, Buffer, string] {
  const head = `{"type":${JSON.stringify(message.kind)},"seq":${message.seq},"from":${JSON.stringify(message.from)},"data":`;
  return [head, payloadBytes(message, frameOf(message)), `,"timestamp":${JSON.stringify(message.timestamp)}}`];
}
