/** Token providers and the expiry of a JWT (read without verifying: the server verifies). */

/** A token, or a function that returns the current one (asked before every connect). */
export type TokenProvider = string | (() => string | Promise<string>);

/** Asks the provider for a token. */
export async function resolveToken(provider: TokenProvider): Promise<string> {
  return typeof provider === 'string' ? provider : provider();
}

/** The claims of a JWT, read without verifying (the server verifies); {} when unreadable. */
export function tokenClaims(token: string): Record<string, unknown> {
  const payload = token.split('.')[1];
  if (!payload) return {};
  try {
    const base64 = payload
      .replace(/-/g, '+')
      .replace(/_/g, '/')
      .padEnd(Math.ceil(payload.length / 4) * 4, '=');
    const claims = JSON.parse(atob(base64)) as unknown;
    return typeof claims === 'object' && claims !== null ? (claims as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The `exp` claim of a JWT in seconds since the epoch, or undefined. */
export function tokenExpirySeconds(token: string): number | undefined {
  const exp = tokenClaims(token).exp;
  return typeof exp === 'number' && Number.isFinite(exp) ? exp : undefined;
}

/**
 * How long to wait before refreshing a token that expires at `expSeconds`: `marginMs` before
 * expiry, or a quarter of the remaining lifetime for short-lived tokens.
 */
export function refreshDelayMs(expSeconds: number, nowMs: number, marginMs: number): number {
  const remainingMs = expSeconds * 1000 - nowMs;
  return Math.max(0, remainingMs - Math.min(marginMs, remainingMs / 4));
}
