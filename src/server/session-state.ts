/**
 * The life of one connection as a state machine:
 *
 * ```
 *            ping sent                  close(code) · slow consumer · missed pong · flood
 *   open ───────────────▶ awaiting-pong ──────────────────────────────────────▶ closing
 *    ▲                        │                                                   │
 *    └── pong / any frame ────┘                                                   │
 *   open / awaiting-pong / closing ───────── socket closed ──────────────────────┴─▶ closed
 * ```
 *
 * `open` and `awaiting-pong` serve the connection; from `closing` on nothing more is sent or
 * encoded (a replay stops at once), and `closed` is final.
 */

/** One of the states of a connection. */
export type SessionState = 'open' | 'awaiting-pong' | 'closing' | 'closed';

const ALLOWED: Readonly<Record<SessionState, readonly SessionState[]>> = {
  open: ['awaiting-pong', 'closing', 'closed'],
  'awaiting-pong': ['open', 'closing', 'closed'],
  closing: ['closed'],
  closed: [],
};

/** True when a connection may go from `previous` to `next`. */
export function canTransition(previous: SessionState, next: SessionState): boolean {
  return ALLOWED[previous].includes(next);
}

/** True while the connection is served: frames are handled and sent. */
export function isServing(state: SessionState): boolean {
  return state === 'open' || state === 'awaiting-pong';
}
