/**
 * The client's connection states and the transitions allowed between them: the one table
 * `NexusWebSocket` checks every state change against.
 *
 *            connect()             `connected` frame
 *   idle ───────────────▶ connecting ───────────────▶ open
 *                          ▲     │                     │ retryable close,
 *           backoff timer, │     │ close before        │ heartbeat timeout
 *           reconnectNow(),│     │ `connected`         ▼
 *           network online │     └─────────────▶ reconnecting
 *                          └─────────────────────────┘
 *   connecting | open | reconnecting ── terminal failure ──▶ failed
 *   any state but closed ── disconnect() ──▶ closed
 *   closed | failed ── connect() ──▶ connecting
 */
import type { ConnectionState } from './events.js';

/** Every connection state, in the order of a connection's life. */
export const CONNECTION_STATES = [
  'idle',
  'connecting',
  'open',
  'reconnecting',
  'closed',
  'failed',
] as const satisfies readonly ConnectionState[];

/** For each state, the states the client may move to from it. */
export const ALLOWED_TRANSITIONS: Readonly<Record<ConnectionState, readonly ConnectionState[]>> = {
  idle: ['connecting', 'closed'],
  connecting: ['open', 'reconnecting', 'failed', 'closed'],
  open: ['reconnecting', 'failed', 'closed'],
  reconnecting: ['connecting', 'failed', 'closed'],
  closed: ['connecting'],
  failed: ['connecting', 'closed'],
};

/** True when the client may move from `from` to `to`. */
export function canTransition(from: ConnectionState, to: ConnectionState): boolean {
  return ALLOWED_TRANSITIONS[from].includes(to);
}
