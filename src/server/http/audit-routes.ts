/**
 * `GET /api/audit` (roles `operator` and `admin`; others 403): the audit log, newest first.
 * `?since=` and `?until=` (inclusive; ISO-8601 or epoch ms), `?userId=`, `?action=`, `?limit=`
 * (default 100, at most 1000); `?format=csv` answers `text/csv` with a header row instead of
 * JSON. A bad query answers 400 naming its first problem.
 */
import { Router, type Response } from 'express';
import { z } from 'zod';
import {
  AuditQueryLimits,
  HttpStatus,
  Paths,
  RestErrorCode,
  Role,
  type AuditEntry,
} from '@nexus-realtime/client/protocol';
import type { AuditQuery } from '../domain/index.js';
import { parseQuery, sendError } from './errors.js';
import { principalOf } from './require-auth.js';

/** The audit log as this route reads it (the process's `AuditLog`, or nothing when it is off). */
export interface AuditReader {
  query(query: AuditQuery): Promise<AuditEntry[]>;
}

const READERS: ReadonlySet<string> = new Set([Role.Operator, Role.Admin]);

/** A time as ISO-8601 or epoch milliseconds. */
const time = (name: string) =>
  z
    .string()
    .max(64)
    .transform((text, ctx) => {
      const ms = /^\d{1,15}$/.test(text) ? Number(text) : /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : NaN;
      if (Number.isFinite(ms)) return ms;
      ctx.addIssue({ code: 'custom', message: `${name} must be an ISO-8601 time or milliseconds since 1970` });
      return z.NEVER;
    });

const limitMessage = `limit must be a whole number from 1 to ${AuditQueryLimits.maxLimit}`;
const auditQuerySchema = z.object({
  since: time('since').optional(),
  until: time('until').optional(),
  userId: z.string().min(1).max(256).optional(),
  action: z.string().min(1).max(64).optional(),
  limit: z
    .string()
    .regex(/^\d{1,5}$/, limitMessage)
    .transform(Number)
    .pipe(z.number().int().min(1, limitMessage).max(AuditQueryLimits.maxLimit, limitMessage))
    .default(AuditQueryLimits.defaultLimit),
  format: z.enum(['json', 'csv'], { error: 'format must be json or csv' }).default('json'),
});

export function auditRoutes(audit: AuditReader | undefined): Router {
  const router = Router();
  router.get(Paths.audit, async (req, res, next) => {
    if (!READERS.has(principalOf(res).role))
      return sendError(res, HttpStatus.Forbidden, RestErrorCode.Forbidden, 'operator or admin role required');
    const query = parseQuery(res, auditQuerySchema, req.query);
    if (!query) return;
    const { since, until, userId, action, limit, format } = query;
    try {
      const entries = audit ? await audit.query({ sinceMs: since, untilMs: until, userId, action, limit }) : [];
      if (format === 'csv') return sendCsv(res, entries);
      res.json(entries);
    } catch (error) {
      next(error);
    }
  });
  return router;
}

/** The columns of the CSV answer, in order. */
export const AUDIT_CSV_COLUMNS = [
  'at',
  'userId',
  'role',
  'action',
  'channel',
  'target',
  'result',
  'detail',
  'count',
] as const satisfies readonly (keyof AuditEntry)[];

function sendCsv(res: Response, entries: readonly AuditEntry[]): void {
  const lines = [AUDIT_CSV_COLUMNS.join(',')];
  for (const entry of entries) lines.push(AUDIT_CSV_COLUMNS.map((column) => csvCell(entry[column])).join(','));
  res
    .status(HttpStatus.Ok)
    .type('text/csv; charset=utf-8')
    .setHeader('Content-Disposition', 'attachment; filename="audit.csv"')
    .send(`${lines.join('\r\n')}\r\n`);
}

/**
 * One CSV cell (RFC 4180): quoted when it holds a comma, quote or line break. Text a spreadsheet
 * would run as a formula (`=`, `+`, `-`, `@` first) gets a leading `'`, since user ids and
 * details come from users.
 */
export function csvCell(value: string | number | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'number') return String(value);
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
