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

/**
 * Whether a connection's socket is read — apart from the life above, as a connection may be
 * `awaiting-pong` and not read at the same time:
 *
 * ```
 *              inbox full                      over its rate
 *   reading ─────────────▶ backlogged   reading / backlogged ──────────────▶ throttled
 *      ▲                        │                        ▲                      │
 *      └──── inbox drained ─────┘                        └── pause over ────────┘
 *   any ─────── flooding too long, closing ───────▶ stopped
 *
 *              the user's shared rate is spent
 *   reading ─────────────────────────────────────▶ held ── hold over ──▶ reading / backlogged
 *                                                    └── over its own rate ──▶ throttled
 * ```
 *
 * `backlogged`: frames wait behind a long replay, so no more are taken in until they are handled.
 * `throttled`: the connection is far over its rate; TCP pushes back on the sender, and what ws had
 * already received is dropped unparsed. `held`: another connection of the same user spent the
rate all of the user's connections share, so none of them is read for a while — but what ws had
already received from this one is handled as usual (it did nothing wrong). `stopped` is final: the connection is being closed for a
 * flood, and nothing more it sends is worth parsing.
 */
export type ReadState = 'reading' | 'backlogged' | 'held' | 'throttled' | 'stopped';

const READ_ALLOWED: Readonly<Record<ReadState, readonly ReadState[]>> = {
  reading: ['backlogged', 'held', 'throttled', 'stopped'],
  backlogged: ['reading', 'throttled', 'stopped'],
  held: ['reading', 'backlogged', 'throttled', 'stopped'],
  throttled: ['reading', 'backlogged', 'stopped'],
  stopped: [],
};

/** True when a connection's reading may go from `previous` to `next`. */
export function canChangeReading(previous: ReadState, next: ReadState): boolean {
  return READ_ALLOWED[previous].includes(next);
}
