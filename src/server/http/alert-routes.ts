/**
 * Alerts: `GET /api/alerts` (newest first; `?state=firing|resolved`, `?limit=` default 100, at most
 * 10,000), `POST /api/alerts/:id/ack` (roles `operator` and `admin`: 200 with the alert now
 * carrying `acknowledged_by` and `acknowledged_at`, 404 when unknown), `GET /api/alerts/rules` and
 * `PUT /api/alerts/rules` (role `admin`: the body replaces every rule, checked as a whole first —
 * a bad rule answers 400 naming it and changes nothing). Rule changes and acknowledgements are
 * audited, refusals too.
 */
import { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import {
  AlertLimits,
  AlertState,
  AuditAction,
  HttpStatus,
  Paths,
  RestErrorCode,
  Role,
  checkAlertRules,
  type Alert,
  type AlertRule,
} from '@nexus-realtime/client/protocol';
import type { AuditRecorder } from '../domain/index.js';
import { parseQuery, sendError } from './errors.js';
import { principalOf } from './require-auth.js';

/** What the routes use of the process's alerts (domain/alerts). */
export interface AlertsApi {
  rules(): readonly AlertRule[];
  replaceRules(rules: readonly AlertRule[]): Promise<void>;
  list(query: { state?: AlertState; limit: number }): Promise<Alert[]>;
  acknowledge(id: string, userId: string): Promise<Alert | undefined>;
}

const ACKNOWLEDGERS: ReadonlySet<string> = new Set([Role.Operator, Role.Admin]);

const limitMessage = `limit must be a whole number from 1 to ${AlertLimits.maxLimit}`;
const alertsQuery = z.object({
  state: z.enum([AlertState.Firing, AlertState.Resolved], { error: 'state must be firing or resolved' }).optional(),
  limit: z
    .string()
    .regex(/^\d{1,6}$/, limitMessage)
    .transform(Number)
    .pipe(z.number().int().min(1, limitMessage).max(AlertLimits.maxLimit, limitMessage))
    .default(AlertLimits.defaultLimit),
});

export function alertRoutes(alerts: AlertsApi, audit?: AuditRecorder): Router {
  const router = Router();
  router.get(Paths.alertRules, (_req, res) => {
    res.json(alerts.rules());
  });
  router.put(Paths.alertRules, (req, res, next) => void putRules(alerts, audit, req, res, next));
  router.get(Paths.alerts, async (req, res, next) => {
    const query = parseQuery(res, alertsQuery, req.query);
    if (!query) return;
    try {
      res.json(await alerts.list(query));
    } catch (error) {
      unavailable(res, 'the alerts could not be read', error, next);
    }
  });
  router.post(Paths.alertAck, (req, res, next) => void acknowledge(alerts, audit, req, res, next));
  return router;
}

/** `PUT /api/alerts/rules`: admins only; the whole set checked before anything changes. */
async function putRules(
  alerts: AlertsApi,
  audit: AuditRecorder | undefined,
  req: Request,
  res: Response,
  next: NextFunction,
): Promise<void> {
  const actor = principalOf(res);
  if (actor.role !== Role.Admin) {
    audit?.refused(actor, AuditAction.AlertRulesChange, RestErrorCode.Forbidden);
    return sendError(res, HttpStatus.Forbidden, RestErrorCode.Forbidden, 'admin role required');
  }
  const checked = checkAlertRules(req.body);
  if (!checked.ok) {
    audit?.refused(actor, AuditAction.AlertRulesChange, RestErrorCode.InvalidRequest, { detail: checked.message });
    return sendError(res, HttpStatus.BadRequest, RestErrorCode.InvalidRequest, checked.message);
  }
  try {
    await alerts.replaceRules(checked.rules);
  } catch (error) {
    return unavailable(res, 'the alert rules could not be stored', error, next);
  }
  const ids = checked.rules.map((rule) => rule.id).join(', ');
  audit?.record(actor, AuditAction.AlertRulesChange, { detail: `${checked.rules.length} rules: ${ids}` });
  res.json(checked.rules);
}

/** `POST /api/alerts/:id/ack`: operators and admins; 404 for an alert not kept. */
async function acknowledge(
  alerts: AlertsApi,
  audit: AuditRecorder | undefined,
  req: Request,
  res: Response,
  next: NextFunction,
): Promise<void> {
  const actor = principalOf(res);
  const id = String(req.params.id);
  if (!ACKNOWLEDGERS.has(actor.role)) {
    audit?.refused(actor, AuditAction.AlertAck, RestErrorCode.Forbidden, { target: id });
    return sendError(res, HttpStatus.Forbidden, RestErrorCode.Forbidden, 'operator or admin role required');
  }
  let alert: Alert | undefined;
  try {
    alert = await alerts.acknowledge(id, actor.userId);
  } catch (error) {
    return unavailable(res, 'the alert could not be acknowledged', error, next);
  }
  audit?.record(actor, AuditAction.AlertAck, { target: id }, alert ? undefined : RestErrorCode.NotFound);
  if (!alert) return sendError(res, HttpStatus.NotFound, RestErrorCode.NotFound, `no alert ${id}`);
  res.json(alert);
}

/**
 * The shared alert store did not answer (Redis away or refusing writes): 503, nothing changed.
 * Anything else is a bug, left to the error handler.
 */
function unavailable(res: Response, message: string, error: unknown, next: NextFunction): void {
  if (!(error instanceof Error) || error instanceof TypeError || error instanceof RangeError) return next(error);
  sendError(res, HttpStatus.ServiceUnavailable, RestErrorCode.Unavailable, message);
}
