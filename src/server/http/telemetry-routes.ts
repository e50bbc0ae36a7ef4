/**
 * `GET /api/telemetry` (bearer; the subscribe policy of `telemetry` decides): one metric's rollups
 * over a range, the fleet's buckets and some agents' (those named by `agent_id`, at most
 * `MAX_AGENT_IDS`, else the `TOP_AGENTS` with the highest average over the range), oldest first,
 * gaps absent. `from`/`to` are ISO-8601 or ms since the epoch; `to` defaults to now and `from` to
 * 15 min before `to`; `step` defaults to the finest whose retention reaches `from` in at most
 * `MAX_DEFAULT_BUCKETS` buckets.
 *
 * `GET /api/telemetry/metrics` (bearer): every metric known, with how many agents report it, most
 * reported first.
 *
 * Answers that name their agents are made from JSON kept per closed chunk of each series
 * (domain/telemetry/answer-cache.ts): the server's event loop spends well under a millisecond on an hour.
 *
 * An answer holds at most `MAX_ANSWER_BUCKETS` buckets (fleet and agents together): a query that
 * could ask for more is refused (400) before anything is read.
 */
import { Router } from 'express';
import { z } from 'zod';
import { Channel, HttpStatus, Limits, Paths, RestErrorCode } from '@nexus-realtime/client/protocol';
import {
  defaultStep,
  STEP_NAMES,
  stepSpec,
  TelemetryAnswerCache,
  TOP_AGENTS,
  type RollupEngine,
  type StepSpec,
} from '../domain/index.js';
import type { Policy } from '../policy.js';
import { sendError } from './errors.js';
import { principalOf } from './require-auth.js';

/** `agent_id` values one query may name. */
export const MAX_AGENT_IDS = 100;
/** Buckets one answer may hold, fleet and agents together (about 8 MB of JSON at most). */
export const MAX_ANSWER_BUCKETS = 100_000;
const DEFAULT_RANGE_MS = 15 * 60_000;

/** ISO-8601 or ms since the epoch. */
const instant = (name: string) =>
  z
    .string()
    .max(64, `${name} must be an ISO-8601 time or ms since the epoch`)
    .transform((text, ctx) => {
      const ms = /^\d{1,15}$/.test(text) ? Number(text) : Date.parse(text);
      if (Number.isFinite(ms)) return ms;
      ctx.addIssue({ code: 'custom', message: `${name} must be an ISO-8601 time or ms since the epoch` });
      return z.NEVER;
    });

const querySchema = z.object({
  metric: z
    .string({ error: 'metric is required (one metric name)' })
    .min(1, 'metric is required')
    .max(Limits.maxIdLength, `metric must be at most ${Limits.maxIdLength} characters`),
  from: instant('from').optional(),
  to: instant('to').optional(),
  step: z.enum(STEP_NAMES, { error: `step must be one of ${STEP_NAMES.join(', ')}` }).optional(),
  agent_id: z
    .union([z.string(), z.array(z.string())])
    .transform((value) => (Array.isArray(value) ? value : [value]))
    .refine((ids) => ids.length <= MAX_AGENT_IDS, `at most ${MAX_AGENT_IDS} agent_id values`)
    .refine(
      (ids) => ids.every((id) => id.length > 0 && id.length <= Limits.maxIdLength),
      `each agent_id must be 1 to ${Limits.maxIdLength} characters`,
    )
    .optional(),
});

export function telemetryRoutes(engine: RollupEngine | undefined, policy: Policy, now: () => number): Router {
  const router = Router();
  const cache = engine && new TelemetryAnswerCache(engine, now);
  router.get(Paths.telemetryMetrics, async (_req, res) => {
    res.json(engine ? await engine.metrics() : []);
  });
  router.get(Paths.telemetry, async (req, res) => {
    if (!policy.allows(principalOf(res).role, 'subscribe', Channel.Telemetry))
      return sendError(res, HttpStatus.Forbidden, RestErrorCode.Forbidden, 'not allowed to read telemetry');
    const parsed = querySchema.safeParse(req.query);
    if (!parsed.success) return badRequest(res, parsed.error.issues[0]?.message ?? 'bad query');
    const { metric, step, agent_id: agentIds } = parsed.data;
    const nowMs = now();
    const toMs = parsed.data.to ?? nowMs;
    const fromMs = parsed.data.from ?? toMs - DEFAULT_RANGE_MS;
    if (fromMs > toMs) return badRequest(res, 'from must not be after to');
    const spec = step === undefined ? defaultStep(fromMs, toMs, nowMs) : stepSpec(step);
    const agents = agentIds ? new Set(agentIds).size : TOP_AGENTS;
    if ((agents + 1) * keptBuckets(spec, fromMs, toMs, nowMs) > MAX_ANSWER_BUCKETS)
      return badRequest(
        res,
        `too many buckets for one answer: ask for fewer agents, a shorter range or a coarser step`,
      );
    if (!engine || !(await engine.knows(metric)))
      return sendError(res, HttpStatus.NotFound, RestErrorCode.NotFound, `no metric ${JSON.stringify(metric)}`);
    const query = { metric, step: spec, fromMs, toMs, ...(agentIds ? { agentIds: [...new Set(agentIds)] } : {}) };
    if (!cache?.handles(query)) return void res.json(await engine.query(query));
    res.type('json').send(await cache.answer(query));
  });
  return router;
}

/** Buckets of `[fromMs, toMs]` the step's retention can still hold. */
function keptBuckets(spec: StepSpec, fromMs: number, toMs: number, nowMs: number): number {
  const first = Math.floor(Math.max(fromMs, nowMs - spec.retentionMs) / spec.stepMs);
  const last = Math.floor(Math.min(toMs, nowMs) / spec.stepMs);
  return Math.max(0, last - first + 1);
}

function badRequest(res: Parameters<typeof sendError>[0], message: string): void {
  sendError(res, HttpStatus.BadRequest, RestErrorCode.InvalidRequest, message);
}
