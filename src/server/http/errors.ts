/** Uniform REST errors: `{"error":{"code","message"}}` with a fitting HTTP status. */
import type { ErrorRequestHandler, Response } from 'express';
import { HttpStatus, RestErrorCode } from '../../protocol/index.js';
import type { Logger } from '../logger.js';

export function sendError(res: Response, status: number, code: RestErrorCode, message: string): void {
  res.status(status).json({ error: { code, message } });
}

interface BodyParserError {
  type?: string;
  status?: number;
  limit?: number;
}

/** Turns body-parser and unexpected errors into JSON errors; never leaks a stack trace. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, _req, res, _next) => {
    const parserError = error as BodyParserError;
    switch (parserError.type) {
      case 'entity.parse.failed':
        return sendError(res, HttpStatus.BadRequest, RestErrorCode.InvalidJson, 'request body is not valid JSON');
      case 'entity.too.deep':
        return sendError(res, HttpStatus.BadRequest, RestErrorCode.InvalidRequest, 'request body is nested too deeply');
      case 'entity.too.large':
        return sendError(
          res,
          HttpStatus.PayloadTooLarge,
          RestErrorCode.PayloadTooLarge,
          `request body is larger than ${parserError.limit} bytes`,
        );
      case 'encoding.unsupported':
      case 'charset.unsupported':
      case 'request.size.invalid':
      case 'request.aborted':
        return sendError(res, HttpStatus.BadRequest, RestErrorCode.InvalidRequest, 'request body could not be read');
    }
    logger.error({ err: error }, 'request failed');
    if (res.headersSent) return;
    sendError(res, HttpStatus.InternalError, RestErrorCode.Internal, 'internal error');
  };
}
