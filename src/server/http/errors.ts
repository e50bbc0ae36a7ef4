/** Uniform REST errors: `{"error":{"code","message"}}` with a fitting HTTP status. */
import type { IncomingMessage } from 'node:http';
import type { ErrorRequestHandler, Response } from 'express';
import type { z } from 'zod';
import { HttpStatus, RestErrorCode } from '@nexus-realtime/client/protocol';
import type { Logger } from '../logger.js';

/**
 * Sends a JSON error. When the client has not finished sending its body (an answer given before
 * reading it: no token, too large, no such route), the connection is closed after the answer
 * rather than kept alive, so the rest of the body is never read.
 */
export function sendError(res: Response, status: number, code: RestErrorCode, message: string): void {
  if (bodyStillArriving(res.req)) res.setHeader('Connection', 'close');
  res.status(status).json({ error: { code, message } });
}

/** A request's query checked against `schema`; on failure a 400 naming the first problem is sent and undefined returned. */
export function parseQuery<T extends z.ZodType>(res: Response, schema: T, query: unknown): z.infer<T> | undefined {
  const parsed = schema.safeParse(query);
  if (parsed.success) return parsed.data;
  sendError(res, HttpStatus.BadRequest, RestErrorCode.InvalidRequest, parsed.error.issues[0]?.message ?? 'bad query');
  return undefined;
}

/** True while the request's body has not been fully received (`complete` turns true at its end). */
function bodyStillArriving(req: IncomingMessage | undefined): boolean {
  return req !== undefined && !req.complete;
}

interface HttpError {
  type?: string;
  status?: number;
  statusCode?: number;
  limit?: number;
  expose?: boolean;
  message?: string;
}

/** 4xx errors raised by express and its parts (a path parameter that does not decode: `URIError`, 400). */
const CLIENT_ERROR_CODES: Readonly<Record<number, RestErrorCode>> = {
  [HttpStatus.BadRequest]: RestErrorCode.InvalidRequest,
  [HttpStatus.NotFound]: RestErrorCode.NotFound,
  [HttpStatus.RequestTimeout]: RestErrorCode.RequestTimeout,
  [HttpStatus.PayloadTooLarge]: RestErrorCode.PayloadTooLarge,
};

/** Turns body-parser and unexpected errors into JSON errors; never leaks a stack trace. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, _req, res, _next) => {
    const httpError = error as HttpError;
    switch (httpError.type) {
      case 'entity.parse.failed':
        return sendError(res, HttpStatus.BadRequest, RestErrorCode.InvalidJson, 'request body is not valid JSON');
      case 'entity.too.deep':
        return sendError(res, HttpStatus.BadRequest, RestErrorCode.InvalidRequest, 'request body is nested too deeply');
      case 'entity.too.large':
        return sendError(
          res,
          HttpStatus.PayloadTooLarge,
          RestErrorCode.PayloadTooLarge,
          `request body is larger than ${httpError.limit} bytes`,
        );
      case 'encoding.unsupported':
      case 'charset.unsupported':
      case 'request.size.invalid':
      case 'request.aborted':
        return sendError(res, HttpStatus.BadRequest, RestErrorCode.InvalidRequest, 'request body could not be read');
      case undefined:
      default:
        // Not an error of the body parser (or one of its other types): the status decides below.
        break;
    }
    const status = clientErrorStatus(error);
    if (status !== undefined && !res.headersSent) {
      logger.debug({ err: (error as Error).message, status }, 'request refused');
      return sendError(
        res,
        status,
        CLIENT_ERROR_CODES[status] ?? RestErrorCode.InvalidRequest,
        clientErrorMessage(error),
      );
    }
    logger.error({ err: error }, 'request failed');
    if (res.headersSent) return;
    sendError(res, HttpStatus.InternalError, RestErrorCode.Internal, 'internal error');
  };
}

/** The 4xx status an error carries (express, router, http-errors), or 400 for a `URIError`. */
function clientErrorStatus(error: unknown): number | undefined {
  if (error instanceof URIError) return HttpStatus.BadRequest;
  if (typeof error !== 'object' || error === null) return undefined;
  const { status, statusCode } = error as HttpError;
  const value = status ?? statusCode;
  return typeof value === 'number' && value >= 400 && value < 500 ? value : undefined;
}

/** What the client is told: http-errors marks the messages meant for it with `expose`. */
function clientErrorMessage(error: unknown): string {
  if (error instanceof URIError) return 'malformed URL';
  const { expose, message } = error as HttpError;
  return expose === true && typeof message === 'string' && message.length > 0 ? message : 'bad request';
}
