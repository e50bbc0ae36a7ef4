/**
 * `POST /api/publish` (bearer; the channel policy decides): `{"channel","payload"}` → 202
 * `{"seq"}`; subscribers get a `broadcast`. Rate-limited per user at the role's rates, publishes
 * and bytes — before the body is read when its length is announced, so a refused publish costs
 * no parsing (a chunked body is counted once read) — and checked by the task domain like a
 * WebSocket publish. Every REST publish is recorded in the audit log, refused ones folded per
 * user and minute. Mount it after the token check.
 */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import {
  AuditAction,
  ErrorCode,
  HttpStatus,
  Paths,
  RestErrorCode,
  channelSchema,
  type Role,
} from '@nexus-realtime/client/protocol';
import { BrokerUnavailableError, type Broker, type BrokerMessage } from '../broker/index.js';
import { checkDomainPublish, publishAudit, type AuditRecorder, type PublishActor } from '../domain/index.js';
import type { Metrics } from '../metrics.js';
import type { Policy } from '../policy.js';
import { TokenBucket } from '../rate-limit.js';
import { sendError } from './errors.js';
import { bodyLength, jsonBody } from './json-body.js';
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
  /** Where publishes and their refusals are recorded (absent: nowhere). */
  readonly audit?: AuditRecorder;
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
  const { audit } = options;
  const refuse = (res: Response, over: 'publishes' | 'bytes') => {
    const rate = options.policy.rate(principalOf(res).role);
    const limit = over === 'bytes' ? `${rate.bytesPerSecond} bytes` : `${rate.perSecond} publishes`;
    audit?.refused(principalOf(res), AuditAction.Publish, RestErrorCode.RateLimited, { detail: limit });
    sendError(res, HttpStatus.TooManyRequests, RestErrorCode.RateLimited, `more than ${limit} per second`);
  };
  const rateLimit: RequestHandler = (req, res, next) => {
    const principal = principalOf(res);
    const over = buckets.take(principal.userId, principal.role, announcedLength(req) ?? 0);
    return over ? refuse(res, over) : next();
  };
  router.post(Paths.publish, rateLimit, jsonBody(options.maxPayloadBytes), async (req, res) => {
    const principal = principalOf(res);
    // A body sent without its length (chunked) is counted against the byte rate now it is read.
    if (announcedLength(req) === undefined && !buckets.takeBytes(principal.userId, principal.role, bodyLength(req))) {
      return refuse(res, 'bytes');
    }
    const parsed = bodySchema.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const detail = `${issue?.path.join('.') || 'body'}: ${issue?.message}`;
      audit?.refused(principal, AuditAction.Publish, RestErrorCode.InvalidRequest, { detail });
      return sendError(res, HttpStatus.BadRequest, RestErrorCode.InvalidRequest, detail);
    }
    const { channel, payload } = parsed.data;
    const { action, details } = publishAudit(channel, payload);
    if (!options.policy.allows(principal.role, 'publish', channel)) {
      const detail = `role ${principal.role} may not publish to ${channel}`;
      audit?.refused(principal, action, RestErrorCode.Forbidden, { ...details, detail });
      return sendError(res, HttpStatus.Forbidden, RestErrorCode.Forbidden, detail);
    }
    const domain = checkDomainPublish(channel, payload, { principal, tasks: options.tasks });
    if (!domain.ok) {
      const [status, code] = DOMAIN_STATUS[domain.code];
      audit?.refused(principal, action, code, { ...details, detail: domain.message });
      return sendError(res, status, code, domain.message);
    }
    let message: BrokerMessage;
    try {
      message = await options.broker.publish({ channel, kind: 'broadcast', from: principal.userId, data: payload });
    } catch (error) {
      if (!(error instanceof BrokerUnavailableError)) throw error;
      audit?.record(principal, action, { ...details, detail: error.message }, RestErrorCode.Unavailable);
      return sendError(res, HttpStatus.ServiceUnavailable, RestErrorCode.Unavailable, error.message);
    }
    options.metrics.countChannelMessage(channel);
    options.onPublished?.(message);
    audit?.record(principal, action, details);
    res.status(HttpStatus.Accepted).json({ seq: message.seq, channel, epoch: message.epoch });
  });
  return router;
}

/** Most users with a bucket at once; past it the map starts over (a bucket only ever forgives). */
const MAX_BUCKETS = 10_000;

/** The body length the client announced, if it did. */
function announcedLength(req: Request): number | undefined {
  const header = req.headers['content-length'];
  const length = header === undefined ? NaN : Number(header);
  return Number.isSafeInteger(length) && length >= 0 ? length : undefined;
}

interface Buckets {
  readonly publishes: TokenBucket;
  readonly bytes: TokenBucket;
}

/** Token buckets (publishes and bytes) per user and role, at the role's rates from the policy. */
class UserBuckets {
  readonly #buckets = new Map<string, Buckets>();

  constructor(
    private readonly policy: Policy,
    private readonly now: () => number,
  ) {}

  /** Takes one publish of `byteLength` bytes; names the rate it would exceed (nothing taken then). */
  take(userId: string, role: Role, byteLength: number): 'publishes' | 'bytes' | undefined {
    const buckets = this.#bucketsOf(userId, role);
    if (!buckets.bytes.holds(byteLength)) return 'bytes';
    if (!buckets.publishes.take()) return 'publishes';
    buckets.bytes.take(byteLength);
    return undefined;
  }

  /** Takes `byteLength` bytes; false when the user is over its byte rate. */
  takeBytes(userId: string, role: Role, byteLength: number): boolean {
    return this.#bucketsOf(userId, role).bytes.take(byteLength);
  }

  #bucketsOf(userId: string, role: Role): Buckets {
    // A role name has no `:`, so the key is unambiguous whatever the userId holds.
    const key = `${role}:${userId}`;
    let buckets = this.#buckets.get(key);
    if (!buckets) {
      if (this.#buckets.size >= MAX_BUCKETS) this.#buckets.clear();
      const rate = this.policy.rate(role);
      buckets = {
        publishes: new TokenBucket(rate.perSecond, rate.burst, this.now),
        bytes: new TokenBucket(rate.bytesPerSecond, rate.bytesBurst, this.now),
      };
      this.#buckets.set(key, buckets);
    }
    return buckets;
  }
}
