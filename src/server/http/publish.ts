/** `POST /api/publish` (bearer, policy §5): `{"channel","payload"}` → 202 `{"seq"}`; subscribers get a `broadcast`. */
import { Router } from 'express';
import { z } from 'zod';
import { HttpStatus, Limits, Paths, RestErrorCode, channelSchema } from '../../protocol/index.js';
import type { Broker, BrokerMessage } from '../broker/broker.js';
import type { Metrics } from '../metrics.js';
import type { Policy } from '../policy.js';
import { TokenBucket } from '../rate-limit.js';
import { sendError } from './errors.js';
import { principalOf } from './require-auth.js';

const bodySchema = z.object({
  channel: channelSchema,
  payload: z.unknown().refine((value) => value !== undefined, 'payload is required'),
});

export interface PublishRouteOptions {
  readonly broker: Broker;
  readonly policy: Policy;
  readonly metrics: Metrics;
  readonly now: () => number;
  readonly onPublished?: (message: BrokerMessage) => void;
}

export function publishRoutes(options: PublishRouteOptions): Router {
  const router = Router();
  // One bucket per user, with the same limits as a WebSocket connection.
  const buckets = new Map<string, TokenBucket>();
  router.post(Paths.publish, async (req, res) => {
    const principal = principalOf(res);
    if (!takeToken(buckets, principal.userId, options.now)) {
      return sendError(
        res,
        HttpStatus.TooManyRequests,
        RestErrorCode.RateLimited,
        `more than ${Limits.rateLimitPerSecond} publishes per second`,
      );
    }
    const parsed = bodySchema.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return sendError(
        res,
        HttpStatus.BadRequest,
        RestErrorCode.InvalidRequest,
        `${issue?.path.join('.') || 'body'}: ${issue?.message}`,
      );
    }
    const { channel, payload } = parsed.data;
    if (!options.policy.allows(principal.role, 'publish', channel)) {
      return sendError(
        res,
        HttpStatus.Forbidden,
        RestErrorCode.Forbidden,
        `role ${principal.role} may not publish to ${channel}`,
      );
    }
    const message = await options.broker.publish({ channel, kind: 'broadcast', from: principal.userId, data: payload });
    options.metrics.countChannelMessage(channel);
    options.onPublished?.(message);
    res.status(HttpStatus.Accepted).json({ seq: message.seq, channel, epoch: message.epoch });
  });
  return router;
}

const MAX_BUCKETS = 10_000;

function takeToken(buckets: Map<string, TokenBucket>, userId: string, now: () => number): boolean {
  let bucket = buckets.get(userId);
  if (!bucket) {
    if (buckets.size >= MAX_BUCKETS) buckets.clear();
    bucket = new TokenBucket(Limits.rateLimitPerSecond, Limits.rateLimitBurst, now);
    buckets.set(userId, bucket);
  }
  return bucket.take();
}
