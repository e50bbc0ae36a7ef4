/**
 * JWT verification and signing (HS256, jose). The only module that imports the JWT library.
 * Claims: `userId` (or `sub`), `role` (missing or unknown = viewer), `exp`.
 */
import { errors, jwtVerify, SignJWT } from 'jose';
import { toRole, type Role } from '../protocol/index.js';

/** Who a connection or request acts as. */
export interface Principal {
  readonly userId: string;
  readonly role: Role;
  /** Expiry in seconds since the epoch, when the token has one. */
  readonly exp: number | undefined;
}

export type VerifyResult =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly reason: 'expired' | 'invalid'; readonly message: string };

export interface Auth {
  verify(token: string): Promise<VerifyResult>;
  sign(claims: { userId: string; role: Role }, ttlSeconds: number): Promise<string>;
}

const ALGORITHM = 'HS256';

export function createAuth(secret: Uint8Array): Auth {
  return {
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, secret, { algorithms: [ALGORITHM] });
        const userId = typeof payload.userId === 'string' ? payload.userId : payload.sub;
        if (typeof userId !== 'string' || userId.length === 0 || userId.length > 256) {
          return { ok: false, reason: 'invalid', message: 'token has no userId or sub claim' };
        }
        return { ok: true, principal: { userId, role: toRole(payload.role), exp: payload.exp } };
      } catch (error) {
        if (error instanceof errors.JWTExpired) return { ok: false, reason: 'expired', message: 'token expired' };
        return { ok: false, reason: 'invalid', message: 'invalid token' };
      }
    },
    async sign({ userId, role }, ttlSeconds) {
      return new SignJWT({ userId, role })
        .setProtectedHeader({ alg: ALGORITHM })
        .setSubject(userId)
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
        .sign(secret);
    },
  };
}
