/**
 * Admin routes (role `admin`, others 403): `GET /api/admin/connections` (`?userId=`,
 * `?channel=`, `?limit=`, `?cursor=`; one page, the next page's cursor in `X-Nexus-Next`),
 * `GET /api/admin/channels`, `POST /api/admin/connections/:id/close`
 * (`{"code"?: 4000-4999, "reason"?}` → 202; 404 when no process holds it). The default code is
 * 4010 "closed by admin", which the client reconnects from after its usual backoff; an admin who
 * wants the client to stay away sends 4003. Live processes that did not answer in time are
 * named in the `X-Nexus-Missing-Processes` header (comma-separated), their connections absent
 * from the list; the connection list names the slow-consumer limit in `X-Nexus-Max-Buffered`.
 */
import { Router, type Response } from 'express';
import { z } from 'zod';
import {
  AdminClose,
  AuditAction,
  AdminConnectionsPage,
  HttpStatus,
  MAX_BUFFERED_HEADER,
  MISSING_PROCESSES_HEADER,
  NEXT_CURSOR_HEADER,
  Paths,
  RestErrorCode,
} from '@nexus-realtime/client/protocol';
import { decodeCursor, encodeCursor, type DataPlane } from '../admin/index.js';
import type { AuditRecorder } from '../domain/index.js';
import { parseQuery, sendError } from './errors.js';
import { principalOf } from './require-auth.js';

const limitMessage = `limit must be a whole number from 1 to ${AdminConnectionsPage.maxLimit}`;
const connectionsQuery = z.object({
  userId: z.string().min(1).max(256).optional(),
  channel: z.string().min(1).max(256).optional(),
  limit: z
    .string()
    .regex(/^\d{1,5}$/, limitMessage)
    .transform(Number)
    .pipe(z.number().int().min(1, limitMessage).max(AdminConnectionsPage.maxLimit, limitMessage))
    .optional(),
  cursor: z
    .string()
    .max(2048)
    .transform((text, ctx) => decodeCursor(text) ?? (ctx.addIssue({ code: 'custom', message: 'bad cursor' }), z.NEVER))
    .optional(),
});

const codeMessage = `code must be between ${AdminClose.minCode} and ${AdminClose.maxCode}`;
const closeBody = z
  .object({
    code: z.number().int().min(AdminClose.minCode, codeMessage).max(AdminClose.maxCode, codeMessage).optional(),
    reason: z
      .string()
      .refine(
        (r) => Buffer.byteLength(r) <= AdminClose.maxReasonBytes,
        `reason must be at most ${AdminClose.maxReasonBytes} bytes`,
      )
      .optional(),
  })
  .strict();

export function adminRoutes(dataPlane: DataPlane, maxBufferedBytes: number, audit?: AuditRecorder): Router {
  const router = Router();
  router.use('/api/admin', (req, res, next) => {
    if (principalOf(res).role !== 'admin') {
      if (req.method === 'POST')
        audit?.refused(principalOf(res), AuditAction.AdminClose, RestErrorCode.Forbidden, { detail: req.path });
      return sendError(res, HttpStatus.Forbidden, RestErrorCode.Forbidden, 'admin role required');
    }
    next();
  });
  router.get(Paths.adminConnections, async (req, res, next) => {
    const query = parseQuery(res, connectionsQuery, req.query);
    if (!query) return;
    const { userId, channel, limit = AdminConnectionsPage.defaultLimit, cursor } = query;
    try {
      const { items, missing, next } = await dataPlane.connections({ userId, channel }, { limit, after: cursor });
      nameMissing(res, missing);
      res.setHeader(MAX_BUFFERED_HEADER, String(maxBufferedBytes));
      if (next) res.setHeader(NEXT_CURSOR_HEADER, encodeCursor(next));
      res.json(items);
    } catch (error) {
      next(error);
    }
  });
  router.get(Paths.adminChannels, async (_req, res, next) => {
    try {
      const { items, missing } = await dataPlane.channels();
      nameMissing(res, missing);
      res.json(items);
    } catch (error) {
      next(error);
    }
  });
  router.post(Paths.adminCloseConnection, async (req, res, next) => {
    const parsed = closeBody.safeParse(req.body ?? {});
    if (!parsed.success)
      return sendError(
        res,
        HttpStatus.BadRequest,
        RestErrorCode.InvalidRequest,
        parsed.error.issues[0]?.message ?? 'bad body',
      );
    const id = String(req.params.id);
    const code = parsed.data.code ?? AdminClose.defaultCode;
    const reason = parsed.data.reason ?? AdminClose.defaultReason;
    try {
      const { found, missing } = await dataPlane.close(id, code, reason);
      nameMissing(res, missing);
      const result = found ? undefined : RestErrorCode.NotFound;
      audit?.record(principalOf(res), AuditAction.AdminClose, { target: id, detail: `${code} ${reason}` }, result);
      if (!found) return sendError(res, HttpStatus.NotFound, RestErrorCode.NotFound, `no open connection ${id}`);
      res.status(HttpStatus.Accepted).json({ connectionId: id, code, reason });
    } catch (error) {
      next(error);
    }
  });
  return router;
}

function nameMissing(res: Response, missing: readonly string[]): void {
  if (missing.length > 0) res.setHeader(MISSING_PROCESSES_HEADER, missing.join(','));
}
