/** The one JSON body parser of the REST API: bounded in bytes and in nesting depth. */
import express from 'express';
import { HttpStatus, Limits, RestErrorCode, exceedsJsonDepth } from '@nexus-realtime/client/protocol';
import { sendError } from './errors.js';

/**
 * Parses a JSON body of any content type, at most `limitBytes` (413 past it) and nested at most
 * `Limits.maxJsonDepth` deep (400). Mount it after the route's token check, never before.
 */
export function jsonBody(limitBytes: number): express.RequestHandler {
  const parse = express.json({ limit: limitBytes, strict: false, type: () => true, verify: rejectDeepJson });
  return (req, res, next) => {
    // body-parser would read (and discard) a body announced too large before refusing it:
    // refuse it from its announced length instead, and close the connection unread.
    if (Number(req.headers['content-length']) > limitBytes) {
      return sendError(
        res,
        HttpStatus.PayloadTooLarge,
        RestErrorCode.PayloadTooLarge,
        `request body is larger than ${limitBytes} bytes`,
      );
    }
    parse(req, res, next);
  };
}

/** body-parser `verify` hook: refuses bodies nested deeper than the protocol allows. */
function rejectDeepJson(_req: unknown, _res: unknown, body: Buffer): void {
  if (exceedsJsonDepth(body.toString('utf8'), Limits.maxJsonDepth)) {
    throw Object.assign(new Error(`JSON nested deeper than ${Limits.maxJsonDepth} levels`), {
      status: 400,
      type: 'entity.too.deep',
    });
  }
}
