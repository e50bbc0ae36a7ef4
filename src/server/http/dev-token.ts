/**
 * `POST /api/dev/token` — dev mode only (no NEXUS_JWT_SECRET): `{"userId","role"}` → `{"token"}`.
 * In production mode the route does not exist (404).
 */
import { Router } from 'express';
import { z } from 'zod';
import { Defaults, HttpStatus, Paths, ROLES, RestErrorCode, type Role } from '@nexus-realtime/client/protocol';
import type { Auth } from '../auth.js';
import { sendError } from './errors.js';
import { jsonBody } from './json-body.js';

/** The route takes no token, so its body stays tiny: `{"userId","role","ttlSeconds"}` fits easily. */
const DEV_TOKEN_BODY_LIMIT_BYTES = 4 * 1024;

const bodySchema = z.object({
  userId: z.string().min(1).max(256),
  role: z.enum(ROLES as [Role, ...Role[]]).default('viewer'),
  /** Lifetime of the token; handy to try expiry and refresh. */
  ttlSeconds: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 3600)
    .default(Defaults.devTokenTtlSeconds),
});

export function devTokenRoutes(auth: Auth): Router {
  const router = Router();
  router.post(Paths.devToken, jsonBody(DEV_TOKEN_BODY_LIMIT_BYTES), async (req, res) => {
    const parsed = bodySchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return sendError(
        res,
        HttpStatus.BadRequest,
        RestErrorCode.InvalidRequest,
        `${issue?.path.join('.') || 'body'}: ${issue?.message}`,
      );
    }
    const { userId, role, ttlSeconds } = parsed.data;
    const token = await auth.sign({ userId, role }, ttlSeconds);
    res.json({ token, userId, role, expiresInSeconds: ttlSeconds });
  });
  return router;
}
