/**
 * HTTP upgrade → WebSocket. Checks, in order: the path (404), the origin (403), the token
 * (none → 401, invalid or expired → 403), the user's connection quota on this process (429);
 * then hands the socket to a new Session. Refusals are answered with a small JSON body and the
 * socket is closed; nothing reaches the WebSocket layer. Each refusal is told to the audit log
 * (as `anonymous` until the token names the user), which folds a storm of them per minute.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import type { WebSocketServer, WebSocket } from 'ws';
import { AuditAction, HttpStatus, Paths, RestErrorCode, Role } from '@nexus-realtime/client/protocol';
import type { Auth, Principal } from './auth.js';
import type { AuditActor, AuditRecorder } from './domain/index.js';
import type { Logger } from './logger.js';
import { redactUrl } from './logger.js';
import type { Metrics } from './metrics.js';

export interface GatewayOptions {
  readonly wss: WebSocketServer;
  readonly auth: Auth;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly devMode: boolean;
  readonly allowedOrigins: readonly string[] | undefined;
  /** Open (and being opened) WebSockets per user on this process. */
  readonly quota: ConnectionQuota;
  readonly accepting: () => boolean;
  /** Where refused upgrades are recorded (absent: nowhere). */
  readonly audit?: AuditRecorder;
  readonly onConnection: (socket: WebSocket, principal: Principal, remoteAddress: string) => void;
}

const WEBSOCKET_PATHS: ReadonlySet<string> = new Set([Paths.webSocket, Paths.webSocketCompat]);
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);
/** Who a refused upgrade is recorded as before its token named anyone. */
export const ANONYMOUS: AuditActor = { userId: 'anonymous', role: Role.Viewer };

/** Returns the `upgrade` handler for the HTTP server. */
export function createUpgradeHandler(options: GatewayOptions) {
  return (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', (error) => options.logger.debug({ err: error }, 'upgrade socket error'));
    handleUpgrade(options, request, socket, head).catch((error: unknown) => {
      options.logger.error({ err: error }, 'upgrade failed');
      refuse(socket, HttpStatus.InternalError, RestErrorCode.Internal, 'upgrade failed');
    });
  };
}

async function handleUpgrade(
  options: GatewayOptions,
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<void> {
  const log = options.logger.child({ url: redactUrl(request.url), remote: request.socket.remoteAddress });
  const remote = request.socket.remoteAddress;
  const refuseAudited = (status: number, code: RestErrorCode, message: string, actor = ANONYMOUS) => {
    options.audit?.refused(actor, AuditAction.Upgrade, code, {
      detail: message,
      ...(remote ? { target: remote } : {}),
    });
    refuse(socket, status, code, message);
  };
  if (!options.accepting())
    return refuse(socket, HttpStatus.ServiceUnavailable, RestErrorCode.Unavailable, 'server is shutting down');
  const url = parseRequestUrl(request.url);
  if (!url || !WEBSOCKET_PATHS.has(url.pathname)) {
    return refuseAudited(HttpStatus.NotFound, RestErrorCode.NotFound, 'WebSocket endpoint is /ws');
  }
  if (!originAllowed(request, options)) {
    options.metrics.authFailures.inc({ reason: 'origin' });
    log.info({ origin: request.headers.origin }, 'upgrade refused: origin not allowed');
    return refuseAudited(HttpStatus.Forbidden, RestErrorCode.Forbidden, 'origin not allowed');
  }
  const token = url.searchParams.get('token') || bearerToken(request.headers.authorization);
  if (!token) {
    options.metrics.authFailures.inc({ reason: 'missing' });
    return refuseAudited(
      HttpStatus.Unauthorized,
      RestErrorCode.Unauthorized,
      'token required (?token= or Authorization: Bearer)',
    );
  }
  const verified = await options.auth.verify(token);
  if (!verified.ok) {
    options.metrics.authFailures.inc({ reason: verified.reason });
    log.info({ reason: verified.reason }, 'upgrade refused: bad token');
    // The provider's keys not loaded yet: the token may be good, so "try later", not "forbidden".
    if (verified.reason === 'unavailable') {
      return refuseAudited(HttpStatus.ServiceUnavailable, RestErrorCode.Unavailable, verified.message);
    }
    return refuseAudited(HttpStatus.Forbidden, RestErrorCode.Forbidden, verified.message);
  }
  if (socket.destroyed) return;
  const { principal } = verified;
  // Taken before the handshake and given back when the TCP socket closes, whether the handshake
  // failed or the WebSocket lived and closed: a burst of upgrades cannot overshoot the quota.
  const release = options.quota.acquire(principal.userId);
  if (!release) {
    log.info({ userId: principal.userId, limit: options.quota.limit }, 'upgrade refused: too many connections');
    return refuseAudited(
      HttpStatus.TooManyRequests,
      RestErrorCode.TooManyConnections,
      `at most ${options.quota.limit} connections per user`,
      principal,
    );
  }
  socket.once('close', release);
  options.wss.handleUpgrade(request, socket, head, (ws) =>
    options.onConnection(ws, principal, request.socket.remoteAddress ?? ''),
  );
}

/**
 * Counts the WebSockets each user holds on this process, including those whose handshake is
 * under way. O(1) per connect and close; a user's entry goes when its count reaches zero.
 */
export class ConnectionQuota {
  readonly #counts = new Map<string, number>();

  constructor(readonly limit: number) {}

  /** Takes a slot for `userId`; returns the function that gives it back (once), or undefined when full. */
  acquire(userId: string): (() => void) | undefined {
    const count = this.#counts.get(userId) ?? 0;
    if (count >= this.limit) return undefined;
    this.#counts.set(userId, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#counts.get(userId) ?? 1) - 1;
      if (left > 0) this.#counts.set(userId, left);
      else this.#counts.delete(userId);
    };
  }
}

function parseRequestUrl(raw: string | undefined): URL | undefined {
  try {
    return new URL(raw ?? '/', 'http://nexus.invalid');
  } catch {
    return undefined;
  }
}

/** The token of an `Authorization: Bearer …` header, if any. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/**
 * Browsers always send `Origin`; other clients usually do not and are allowed. Allowed: the same
 * origin as the request's Host, the configured list, and loopback origins in dev mode.
 */
function originAllowed(request: IncomingMessage, options: GatewayOptions): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  if (request.headers.host && parsed.host === request.headers.host) return true;
  if (options.allowedOrigins?.includes(parsed.origin)) return true;
  return options.devMode && LOOPBACK_HOSTS.has(parsed.hostname);
}

/** Answers a raw HTTP connection with a JSON error and closes it. */
export function refuse(socket: Duplex, status: number, code: RestErrorCode, message: string): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ error: { code, message } });
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
