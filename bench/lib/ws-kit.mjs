// Client-side helpers shared by the bench's load clients (abuse-client.mjs, hostile-client.mjs, the watchers):
// tokens, opening a WebSocket, parsing small frames, percentiles. No process of its own.
import { createHmac } from 'node:crypto';
import { SignJWT } from 'jose';
import WebSocket from 'ws';

export const CONNECT_TIMEOUT_MS = 30_000;
export const SMALL = 4096; // frames up to this size are JSON-parsed
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- tokens and connections ------------------------------------------------------------------

/** An HS256 token for a bench client, valid 6 h (a `--hour` run keeps its clients over an hour). */
export async function sign(secret, userId, role, extra = {}) {
  return new SignJWT({ userId, role, ...extra })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime('6h')
    .sign(new TextEncoder().encode(secret));
}

const b64url = (text) => Buffer.from(text).toString('base64url');

/**
 * An HS256 JWT built by hand from the claims' JSON text as given, so it can carry what a JWT
 * library refuses to write (an `exp` of `1e400`, say).
 */
export function signRawJson(secret, claimsJson) {
  const head = `${b64url('{"alg":"HS256","typ":"JWT"}')}.${b64url(claimsJson)}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}

/**
 * Opens a WebSocket; resolves once open. `onFrame(data, conn)` sees every frame. `conn.closeCode`
 * is set when it closes. A refused upgrade rejects with an error whose `status` is the HTTP status.
 */
export function connect(url, token, { deflate = false, onFrame = () => {}, maxPayload = 256 * 2 ** 20 } = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url}?token=${encodeURIComponent(token)}`, { perMessageDeflate: deflate, maxPayload });
    const conn = { ws, closeCode: undefined, closedAt: undefined };
    let opened = false;
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('connect timed out'));
    }, CONNECT_TIMEOUT_MS);
    ws.on('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      const error = new Error(`upgrade refused with HTTP ${res.statusCode}`);
      error.status = res.statusCode;
      res.resume();
      ws.terminate();
      reject(error);
    });
    ws.on('error', (error) => {
      if (opened) return;
      clearTimeout(timer);
      reject(error);
    });
    ws.on('close', (code) => {
      conn.closeCode = code;
      conn.closedAt = performance.now();
    });
    ws.on('message', (data) => onFrame(data, conn));
    ws.on('open', () => {
      opened = true;
      clearTimeout(timer);
      conn.deflate = ws.extensions.includes('permessage-deflate');
      resolve(conn);
    });
  });
}

export function parseSmall(data) {
  try {
    return JSON.parse(data.toString());
  } catch {
    return undefined;
  }
}

export function percentiles(values) {
  const sorted = Float64Array.from(values).sort();
  const pick = (p) =>
    sorted.length === 0
      ? NaN
      : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
  return {
    samples: sorted.length,
    p50: pick(50),
    p90: pick(90),
    p99: pick(99),
    max: sorted.length ? sorted.at(-1) : NaN,
  };
}
