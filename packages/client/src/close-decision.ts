/**
 * What the client does when its socket closes: a pure function of the close code and what the
 * client knows, so every row of the table in docs/protocol.md has a test.
 */
import { CloseCode, isRetryableClose, needsNewToken } from './protocol/codes.js';
import { ClientErrorCode } from './events.js';

/** What `decideClose` needs besides the close code. */
export interface CloseContext {
  /** HTTP status of a refused upgrade (Node reports it; browsers only see 1006). */
  readonly upgradeStatus?: number;
  /** True when the token comes from a function that may return a new one. */
  readonly renewableToken: boolean;
}

/** Client error codes that end in `failed`. */
export type TerminalCode =
  | typeof ClientErrorCode.AuthRefused
  | typeof ClientErrorCode.TokenExpired
  | typeof ClientErrorCode.PolicyViolation
  | typeof ClientErrorCode.ClosedByAdmin
  | typeof ClientErrorCode.Unreachable
  | typeof ClientErrorCode.InvalidUrl;

export type CloseDecision =
  | {
      readonly retry: true;
      /** The token must be asked for again; the same token again ends in `failed` with `refusedAs`. */
      readonly newToken?: { readonly refusedAs: TerminalCode };
      /** `restart`: the server is restarting (1012), retry within a short random delay. */
      readonly delay: 'backoff' | 'restart';
      readonly reason: string;
    }
  | { readonly retry: false; readonly code: TerminalCode; readonly reason: string };

/** Terminal closes for a broken rule; the only other terminal close is 4003, an admin's "stay away". */
const POLICY_CLOSES: ReadonlySet<number> = new Set<number>([
  CloseCode.InvalidPayload,
  CloseCode.PolicyViolation,
  CloseCode.MessageTooBig,
]);

/** Decides whether to reconnect after a close, and if not, which client error code the failure gets. */
export function decideClose(code: number, context: CloseContext): CloseDecision {
  const refused = context.upgradeStatus === 401 || context.upgradeStatus === 403;
  if (refused || needsNewToken(code)) {
    const what = refused ? `upgrade refused (${context.upgradeStatus})` : `token expired (${code})`;
    const refusedAs = refused ? ClientErrorCode.AuthRefused : ClientErrorCode.TokenExpired;
    if (!context.renewableToken) return { retry: false, code: refusedAs, reason: what };
    return { retry: true, newToken: { refusedAs }, delay: 'backoff', reason: `${what}, asking for a new token` };
  }
  if (!isRetryableClose(code)) {
    const terminal = POLICY_CLOSES.has(code) ? ClientErrorCode.PolicyViolation : ClientErrorCode.ClosedByAdmin;
    return { retry: false, code: terminal, reason: `closed with ${code}, retrying cannot help` };
  }
  const delay = code === CloseCode.ServiceRestart ? 'restart' : 'backoff';
  return { retry: true, delay, reason: `closed with ${code}` };
}
