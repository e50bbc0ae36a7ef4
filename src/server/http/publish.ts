/**
 * `POST /api/publish` (bearer; the channel policy decides): `{"channel","payload"}` → 202
 * `{"seq"}`; subscribers get a `broadcast`. Rate-limited per user at the role's rate — before
 * the body is read, so a refused publish costs no parsing — and checked by the task domain like
 * a WebSocket publish. Mount it after the token check.
 */
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { ErrorCode, HttpStatus, Paths, RestErrorCode, channelSchema, type Role } from '@nexus-realtime/client/protocol';
import { BrokerUnavailableError, type Broker, type BrokerMessage } from '../broker/broker.js';
import { checkDomainPublish, type PublishActor } from '../domain/commands.js';
import type { Metrics } from '../metrics.js';
import type { Policy } from '../policy.js';
import { TokenBucket } from '../rate-limit.js';
import { sendError } from './errors.js';
import { jsonBody } from './json-body.js';
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
  readonly maxPayloadBytes: number;
  /** Task state for the domain checks (who may report on which task). */
  readonly tasks: PublishActor['tasks'];
  readonly onPublished?: (message: BrokerMessage) => void;
}

/** HTTP status of each domain refusal. */
const DOMAIN_STATUS = {
  [ErrorCode.InvalidCommand]: [HttpStatus.BadRequest, RestErrorCode.InvalidCommand],
  [ErrorCode.NotFound]: [HttpStatus.NotFound, RestErrorCode.NotFound],
  [ErrorCode.Forbidden]: [HttpStatus.Forbidden, RestErrorCode.Forbidden],
} as const;

export function publishRoutes(options: PublishRouteOptions): Router {
  const router = Router();
  const buckets = new UserBuckets(options.policy, options.now);
  const rateLimit: RequestHandler = (_req, res, next) => {
    const principal = principalOf(res);
    if (buckets.take(principal.userId, principal.role)) return next();
    sendError(
      res,
      HttpStatus.TooManyRequests,
      RestErrorCode.RateLimited,
      `more than ${options.policy.rate(principal.role).perSecond} publishes per second`,
    );
  };
  router.post(Paths.publish, rateLimit, jsonBody(options.maxPayloadBytes), async (req, res) => {
    const principal = principalOf(res);
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
    const domain = checkDomainPublish(channel, payload, { principal, tasks: options.tasks });
    if (!domain.ok) {
      const [status, code] = DOMAIN_STATUS[domain.code];
      return sendError(res, status, code, domain.message);
    }
    let message: BrokerMessage;
    try {
      message = await options.broker.publish({ channel, kind: 'broadcast', from: principal.userId, data: payload });
    } catch (error) {
      if (!(error instanceof BrokerUnavailableError)) throw error;
      return sendError(res, HttpStatus.ServiceUnavailable, RestErrorCode.Unavailable, error.message);
    }
    options.metrics.countChannelMessage(channel);
    options.onPublished?.(message);
    res.status(HttpStatus.Accepted).json({ seq: message.seq, channel, epoch: message.epoch });
  });
  return router;
}

/** Most users with a bucket at once; past it the map starts over (a bucket only ever forgives). */
const MAX_BUCKETS = 10_000;

/** One token bucket per user and role, at the role's rate from the policy. */
class UserBuckets {
  readonly #buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly policy: Policy,
    private readonly now: () => number,
  ) {}

  /** Takes one publish from the user's bucket; false when it is empty. */
  take(userId: string, role: Role): boolean {
    // A role name has no `:`, so the key is unambiguous whatever the userId holds.
    const key = `${role}:${userId}`;
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      if (this.#buckets.size >= MAX_BUCKETS) this.#buckets.clear();
      const { perSecond, burst } = this.policy.rate(role);
      bucket = new TokenBucket(perSecond, burst, this.now);
      this.#buckets.set(key, bucket);
    }
    return bucket.take();
  }
}
