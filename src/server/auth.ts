/**
 * JWT verification and signing (HS256, jose). The only module that imports the JWT library.
 * Claims: `userId` (or `sub`), `role` (missing or unknown = viewer), `exp` (required, a finite
 * whole number of seconds: a token that never expires is refused, and `1e400` decodes to
 * Infinity, which would be one), and for agents `agent_id` (else the userId), the one agent the
 * connection may speak for. The userId `nexus` belongs to the server's own messages and is refused.
 */
import { errors, jwtVerify, SignJWT } from 'jose';
import { toRole, type Role } from '@nexus-realtime/client/protocol';

/** Who a connection or request acts as. */
export interface Principal {
  readonly userId: string;
  readonly role: Role;
  /** Expiry in seconds since the epoch: a whole number (every accepted token has one). */
  readonly exp: number | undefined;
  /** For role `agent`: the agent this connection speaks for (`agent_id` claim, else the userId). */
  readonly agentId?: string;
}

/** The `from` of the server's own messages; no token may claim it. */
export const SERVER_USER_ID = 'nexus';
const MAX_ID_LENGTH = 256;

export type VerifyResult =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly reason: 'expired' | 'invalid'; readonly message: string };

/**
 * Why a refresh from `current` to `next` is refused, or undefined when it may go ahead. A refresh
 * renews the expiry of one identity: the same user, the same role and (for agents) the same
 * agent. Another role would also bring another rate limit and other rights on a live connection,
 * so it takes a new connection.
 */
export function refreshRefusal(current: Principal, next: Principal): string | undefined {
  if (next.userId !== current.userId) return 'token is for another user';
  if (next.role !== current.role) return `token is for role ${next.role}, the connection has role ${current.role}`;
  if (next.agentId !== current.agentId) return 'token is for another agent';
  return undefined;
}

export interface Auth {
  verify(token: string): Promise<VerifyResult>;
  sign(claims: { userId: string; role: Role; agentId?: string }, ttlSeconds: number): Promise<string>;
}

const ALGORITHM = 'HS256';

export function createAuth(secret: Uint8Array): Auth {
  return {
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, secret, { algorithms: [ALGORITHM], requiredClaims: ['exp'] });
        // jose checks only that `exp` is a number: Infinity (`1e400`) would never expire, and a
        // fraction has no meaning for a timer armed in whole seconds.
        if (!Number.isInteger(payload.exp)) {
          return { ok: false, reason: 'invalid', message: 'exp claim must be a finite whole number of seconds' };
        }
        const userId = typeof payload.userId === 'string' ? payload.userId : payload.sub;
        if (typeof userId !== 'string' || userId.length === 0 || userId.length > MAX_ID_LENGTH) {
          return { ok: false, reason: 'invalid', message: 'token has no userId or sub claim' };
        }
        if (userId === SERVER_USER_ID) {
          return { ok: false, reason: 'invalid', message: `userId "${SERVER_USER_ID}" is reserved for the server` };
        }
        const role = toRole(payload.role);
        if (role !== 'agent') return { ok: true, principal: { userId, role, exp: payload.exp } };
        const claimed = payload.agent_id;
        if (claimed !== undefined && (typeof claimed !== 'string' || claimed.length === 0 || claimed.length > 128)) {
          return { ok: false, reason: 'invalid', message: 'agent_id claim must be a string of 1 to 128 characters' };
        }
        return { ok: true, principal: { userId, role, exp: payload.exp, agentId: claimed ?? userId } };
      } catch (error) {
        if (error instanceof errors.JWTExpired) return { ok: false, reason: 'expired', message: 'token expired' };
        if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'exp') {
          const message =
            error.reason === 'missing'
              ? 'token has no exp claim: tokens must expire'
              : 'exp claim must be a finite whole number of seconds';
          return { ok: false, reason: 'invalid', message };
        }
        return { ok: false, reason: 'invalid', message: 'invalid token' };
      }
    },
    async sign({ userId, role, agentId }, ttlSeconds) {
      return new SignJWT({ userId, role, ...(agentId === undefined ? {} : { agent_id: agentId }) })
        .setProtectedHeader({ alg: ALGORITHM })
        .setSubject(userId)
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
        .sign(secret);
    },
  };
}
