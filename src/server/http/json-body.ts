/** The one JSON body parser of the REST API: bounded in bytes and in nesting depth, numbers finite. */
import express from 'express';
import {
  HttpStatus,
  Limits,
  NOT_FINITE_MESSAGE,
  RestErrorCode,
  holdsNonFiniteNumber,
  scanJsonText,
} from '@nexus-realtime/client/protocol';
import { sendError } from './errors.js';

/** Requests whose body has a number literal that may overflow to Infinity (checked once parsed). */
const mayOverflow = new WeakSet<object>();
/** The length in bytes of each parsed body (for byte rates of bodies sent without a length). */
const lengths = new WeakMap<object, number>();

/** Bytes of the request's body as read by `jsonBody` (0 when it read none). */
export function bodyLength(req: object): number {
  return lengths.get(req) ?? 0;
}

/**
 * Parses a JSON body of any content type, at most `limitBytes` (413 past it) and nested at most
 * `Limits.maxJsonDepth` deep (400); a number that does not fit a double (`1e400`, which would
 * parse to Infinity and be passed on as `null`) answers 400. Mount it after the route's token
 * check, never before.
 */
export function jsonBody(limitBytes: number): express.RequestHandler {
  const parse = express.json({ limit: limitBytes, strict: false, type: () => true, verify: scanBody });
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
    parse(req, res, (error?: unknown) => {
      if (error !== undefined) return next(error);
      if (mayOverflow.has(req) && holdsNonFiniteNumber(req.body)) {
        return sendError(res, HttpStatus.BadRequest, RestErrorCode.InvalidRequest, NOT_FINITE_MESSAGE);
      }
      next();
    });
  };
}

/** body-parser `verify` hook: refuses bodies nested too deeply, notes those to check for Infinity. */
function scanBody(req: object, _res: unknown, body: Buffer): void {
  lengths.set(req, body.length);
  const scan = scanJsonText(body.toString('utf8'), Limits.maxJsonDepth);
  if (scan.tooDeep) {
    throw Object.assign(new Error(`JSON nested deeper than ${Limits.maxJsonDepth} levels`), {
      status: 400,
      type: 'entity.too.deep',
    });
  }
  if (scan.mayOverflow) mayOverflow.add(req);
}
