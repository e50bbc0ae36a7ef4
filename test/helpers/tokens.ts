/** Token helpers: sign JWTs with the test secret, or with any secret/claims for negative tests. */
import { SignJWT } from 'jose';

/** The production-mode secret test servers use (≥ 32 bytes). */
export const TEST_SECRET = 'nexus-test-secret-0123456789abcdefghijklmnopqrstuvwxyz';

export interface TokenOptions {
  readonly userId?: string;
  readonly sub?: string;
  readonly role?: string;
  /** Seconds from now until expiry; negative = already expired; undefined = no exp claim. */
  readonly expiresInSeconds?: number;
  readonly secret?: string;
  readonly extraClaims?: Record<string, unknown>;
}

export async function signToken(options: TokenOptions = {}): Promise<string> {
  const claims: Record<string, unknown> = { ...options.extraClaims };
  if (options.userId !== undefined) claims.userId = options.userId;
  if (options.role !== undefined) claims.role = options.role;
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt();
  if (options.sub !== undefined) jwt = jwt.setSubject(options.sub);
  if (options.expiresInSeconds !== undefined) {
    jwt = jwt.setExpirationTime(Math.floor(Date.now() / 1000) + options.expiresInSeconds);
  }
  return jwt.sign(new TextEncoder().encode(options.secret ?? TEST_SECRET));
}

/** Shorthand: a token for `userId` with `role`, valid for an hour. */
export function tokenFor(userId: string, role = 'viewer'): Promise<string> {
  return signToken({ userId, role, expiresInSeconds: 3600 });
}
