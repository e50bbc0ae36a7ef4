/**
 * Bearer-token middleware for REST routes: missing → 401, invalid or expired → 403; the identity
 * provider's keys not loaded yet → 503.
 */
import type { RequestHandler, Response } from 'express';
import { HttpStatus, RestErrorCode } from '@nexus-realtime/client/protocol';
import type { Auth, Principal } from '../auth.js';
import { bearerToken } from '../gateway.js';
import type { Metrics } from '../metrics.js';
import { sendError } from './errors.js';

export function requireAuth(auth: Auth, metrics: Metrics): RequestHandler {
  return async (req, res, next) => {
    const token = bearerToken(req.headers.authorization);
    if (!token) {
      metrics.authFailures.inc({ reason: 'missing' });
      res.setHeader('WWW-Authenticate', 'Bearer');
      return sendError(
        res,
        HttpStatus.Unauthorized,
        RestErrorCode.Unauthorized,
        'Authorization: Bearer <token> required',
      );
    }
    const verified = await auth.verify(token);
    if (!verified.ok) {
      metrics.authFailures.inc({ reason: verified.reason });
      if (verified.reason === 'unavailable') {
        return sendError(res, HttpStatus.ServiceUnavailable, RestErrorCode.Unavailable, verified.message);
      }
      return sendError(res, HttpStatus.Forbidden, RestErrorCode.Forbidden, verified.message);
    }
    res.locals.principal = verified.principal;
    next();
  };
}

/** The principal set by `requireAuth`. */
export function principalOf(res: Response): Principal {
  return res.locals.principal as Principal;
}
