/**
 * What a verified token says about who it is: the principal (user, role, expiry, agent) read from
 * its claims, and the rule for an in-band refresh. No JWT library here (auth.ts checks the
 * signatures); these are the rules of Nexus about the claims once they are trusted.
 */
import { ROLES, type Role } from '@nexus-realtime/client/protocol';

/** A token's claims, once its signature is checked. */
export type Claims = Readonly<Record<string, unknown>> & { readonly exp?: number };

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

/**
 * `unavailable`: the token may well be good, but the identity provider's keys could not be
 * fetched yet (answered 503, not 403).
 */
export type VerifyFailure = 'expired' | 'invalid' | 'unavailable';

export type VerifyResult =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly reason: VerifyFailure; readonly message: string };

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

export function invalid(message: string): VerifyResult {
  return { ok: false, reason: 'invalid', message };
}

/** The principal of a verified token's claims, or why they are not acceptable. */
export function principalOf(payload: Claims, userId: unknown, role: Role): VerifyResult {
  // jose checks only that `exp` is a number: Infinity (`1e400`) would never expire, and a
  // fraction has no meaning for a timer armed in whole seconds.
  if (!Number.isInteger(payload.exp)) return invalid('exp claim must be a finite whole number of seconds');
  if (typeof userId !== 'string' || userId.length === 0 || userId.length > MAX_ID_LENGTH) {
    return invalid('token names no user (or a user id longer than 256 characters)');
  }
  if (userId === SERVER_USER_ID) return invalid(`userId "${SERVER_USER_ID}" is reserved for the server`);
  if (role !== 'agent') return { ok: true, principal: { userId, role, exp: payload.exp } };
  const claimed = payload.agent_id;
  if (claimed !== undefined && (typeof claimed !== 'string' || claimed.length === 0 || claimed.length > 128)) {
    return invalid('agent_id claim must be a string of 1 to 128 characters');
  }
  return { ok: true, principal: { userId, role, exp: payload.exp, agentId: claimed ?? userId } };
}

/**
 * The value at `path` in the claims: the claim of that exact name when there is one (a namespaced
 * claim such as `https://example.com/roles` holds dots), else the dotted path walked through
 * nested objects. Own properties only.
 */
export function claimAt(payload: Claims, path: string): unknown {
  if (Object.hasOwn(payload, path)) return payload[path];
  let value: unknown = payload;
  for (const key of path.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, key)) {
      return undefined;
    }
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** The first value naming a Nexus role (a list, or one string), else viewer. */
export function roleFrom(value: unknown): Role {
  const values = Array.isArray(value) ? value : [value];
  for (const item of values.slice(0, 1000)) {
    if ((ROLES as readonly unknown[]).includes(item)) return item as Role;
  }
  return 'viewer';
}
