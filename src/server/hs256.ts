/**
 * The checks of an HS256 token (signed with NEXUS_JWT_SECRET) that need no JWT library, done
 * synchronously with node:crypto. jose checks HS256 through WebCrypto, whose asynchronous calls
 * cost about 110 µs of CPU per token against 9 µs here: in a reconnect storm of thousands of
 * agents that was most of an upgrade's cost. auth.ts decodes the header and payload with jose and
 * calls these; tokens of an identity provider stay with jose entirely.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { invalid, type Claims, type VerifyResult } from './auth-claims.js';

/** A refusal (`VerifyResult` that is not ok). */
export type Refusal = Extract<VerifyResult, { ok: false }>;

/**
 * True when the token's third part is exactly the base64url HMAC-SHA256, under `secret`, of its
 * first two (compared in constant time; any other spelling of the same bytes is refused).
 */
export function hs256SignatureMatches(token: string, secret: Uint8Array): boolean {
  const parts = token.split('.');
  if (parts.length !== 3) return false;
  const [header, payload, signature] = parts as [string, string, string];
  const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  return signature.length === expected.length && timingSafeEqual(Buffer.from(signature), Buffer.from(expected));
}

/**
 * Why the time claims of a token with a good signature refuse it at `nowSeconds`, if they do: the
 * checks jose gives them (`exp` required and later than now, `nbf` reached, `iat` a number), with
 * `exp` a finite whole number (`1e400` decodes to Infinity, a token that would never expire).
 */
export function timeClaimsRefusal(payload: Claims, nowSeconds: number): Refusal | undefined {
  const { exp, nbf, iat } = payload as { exp?: unknown; nbf?: unknown; iat?: unknown };
  if (exp === undefined) return invalid('token has no exp claim: tokens must expire') as Refusal;
  if (typeof exp !== 'number' || !Number.isInteger(exp)) {
    return invalid('exp claim must be a finite whole number of seconds') as Refusal;
  }
  if (exp <= nowSeconds) return { ok: false, reason: 'expired', message: 'token expired' };
  if (nbf !== undefined && (typeof nbf !== 'number' || Number.isNaN(nbf))) return invalid('invalid token') as Refusal;
  if (typeof nbf === 'number' && nbf > nowSeconds) return invalid('token is not valid yet') as Refusal;
  if (iat !== undefined && (typeof iat !== 'number' || Number.isNaN(iat))) return invalid('invalid token') as Refusal;
  return undefined;
}
