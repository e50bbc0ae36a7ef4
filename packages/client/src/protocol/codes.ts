/**
 * Error codes carried by `error` frames and WebSocket close codes, grouped by what the client
 * does next. Every protocol literal of Nexus lives in this folder; call sites use the names.
 */

/** Codes of `{"type":"error"}` frames. The connection stays open after any of them. */
export const ErrorCode = {
  /** The frame was not valid JSON. */
  InvalidJson: 'invalid_json',
  /** The frame was JSON but its shape was wrong (missing channel, bad filters, wrong types…). */
  InvalidMessage: 'invalid_message',
  /** The frame's `action` is not one the server knows. */
  UnknownAction: 'unknown_action',
  /** The policy does not allow this action for the connection's role. */
  Forbidden: 'forbidden',
  /** The connection sends faster than its rate limit; the frame was dropped. */
  RateLimited: 'rate_limited',
  /** Binary frames are not part of the protocol. */
  BinaryNotSupported: 'binary_not_supported',
  /** The connection already holds the maximum number of subscriptions. */
  TooManySubscriptions: 'too_many_subscriptions',
  /** The history needed for a replay could not be read (broker unavailable). */
  HistoryUnavailable: 'history_unavailable',
  /** A `commands` or `tasks` payload the domain refuses (unknown command, bad task id, params too large). */
  InvalidCommand: 'invalid_command',
  /** The frame names something that does not exist (e.g. `cancel_task` of an unknown task). */
  NotFound: 'not_found',
  /** The broker could not take the message (e.g. Redis refused the write); nothing was delivered. */
  Unavailable: 'unavailable',
} as const;
/** One of the `error` frame codes. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * WebSocket close codes used by Nexus (RFC 6455 §7.4 plus the private 4000–4999 range).
 * Grouped by the client's reaction: see `isRetryableClose`.
 */
export const CloseCode = {
  // Retryable: the client reconnects with backoff.
  /** Normal closure initiated by either side. */
  Normal: 1000,
  /** The peer is going away (page unload, server shutdown). */
  GoingAway: 1001,
  /** Abnormal closure: no close frame was received (network cut). Never sent on the wire. */
  Abnormal: 1006,
  /** The server hit an unexpected condition. */
  InternalError: 1011,
  /** The server is restarting; reconnect (to this or another process). */
  ServiceRestart: 1012,
  /** The server is overloaded; try again later. */
  TryAgainLater: 1013,
  /** The connection could not keep up with its messages (slow consumer); reconnect and recover. */
  SlowConsumer: 4008,
  /** An admin closed the connection (the default of the admin close route); reconnect after the usual backoff. */
  ClosedByAdmin: 4010,

  // Retry only with a new token.
  /** The connection's token reached its `exp` without a refresh. */
  TokenExpired: 4001,

  // Terminal: retrying cannot help.
  /** Invalid UTF-8 in a text frame. */
  InvalidPayload: 1007,
  /** Policy violation: the connection kept flooding past its rate limit. */
  PolicyViolation: 1008,
  /** A frame was larger than the server's maximum payload. */
  MessageTooBig: 1009,
  /** The connection must stay away: an admin closed it with 4003 (token refused, revoked). */
  Unauthorized: 4003,
} as const;
/** One of the close codes Nexus sends or reacts to. */
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Human-readable reasons sent with the close codes the server uses. */
export const CloseReason = {
  [CloseCode.ServiceRestart]: 'service restart',
  [CloseCode.SlowConsumer]: 'slow consumer',
  [CloseCode.TokenExpired]: 'token expired',
  [CloseCode.PolicyViolation]: 'rate limit exceeded',
  [CloseCode.MessageTooBig]: 'message too big',
  [CloseCode.Unauthorized]: 'unauthorized',
  [CloseCode.ClosedByAdmin]: 'closed by admin',
} as const satisfies Partial<Record<CloseCode, string>>;

const TERMINAL_CLOSE_CODES: ReadonlySet<number> = new Set([
  CloseCode.InvalidPayload,
  CloseCode.PolicyViolation,
  CloseCode.MessageTooBig,
  CloseCode.Unauthorized,
]);

/**
 * True when reconnecting after this close code can succeed without anything changing.
 * 4001 (token expired) is not retryable as such: the client retries only with a new token.
 */
export function isRetryableClose(code: number): boolean {
  if (code === CloseCode.TokenExpired) return false;
  return !TERMINAL_CLOSE_CODES.has(code);
}

/** True when the close code says the token must be renewed before reconnecting. */
export function needsNewToken(code: number): boolean {
  return code === CloseCode.TokenExpired;
}

/** HTTP statuses used on the WebSocket upgrade and by the REST API. */
export const HttpStatus = {
  Ok: 200,
  Accepted: 202,
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  RequestTimeout: 408,
  PayloadTooLarge: 413,
  TooManyRequests: 429,
  InternalError: 500,
  ServiceUnavailable: 503,
} as const;

/** Codes of REST error bodies `{"error":{"code","message"}}`. */
export const RestErrorCode = {
  InvalidJson: 'invalid_json',
  InvalidRequest: 'invalid_request',
  Unauthorized: 'unauthorized',
  Forbidden: 'forbidden',
  NotFound: 'not_found',
  PayloadTooLarge: 'payload_too_large',
  RateLimited: 'rate_limited',
  /** The WebSocket upgrade was refused (HTTP 429): this user already holds the most connections one process allows. */
  TooManyConnections: 'too_many_connections',
  RequestTimeout: 'request_timeout',
  InvalidCommand: 'invalid_command',
  Unavailable: 'unavailable',
  Internal: 'internal_error',
} as const;
/** One of the REST error codes. */
export type RestErrorCode = (typeof RestErrorCode)[keyof typeof RestErrorCode];
