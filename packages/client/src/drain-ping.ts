/**
 * Publishes the server dropped unread. A connection far over its rate is not read for a while,
 * and the frames it sent meanwhile are dropped without an answer. The server answers a
 * connection's frames in order, so two answers tell the client which ones:
 *
 * - an ack: the publishes sent before the acknowledged one and still waiting were dropped;
 * - after a `rate_limited`, a ping sent once that time is surely over (the drain ping): what
 *   still waits when its pong comes was dropped — publishes, and a resync's sync ping, which is
 *   then sent again (else deliveries would stay held for good).
 *
 * All of them settle as `rate_limited` (`DROPPED_UNREAD`).
 */
import { ErrorCode } from './protocol/codes.js';
import { Limits } from './protocol/limits.js';
import type { PendingRequests, RequestFailure } from './pending-requests.js';

/** How a publish the server dropped unread settles. */
export const DROPPED_UNREAD: RequestFailure = {
  ok: false,
  code: ErrorCode.RateLimited,
  message: 'dropped unread: the connection was over its rate and not read for a while',
};

/**
 * After a `rate_limited`, the drain ping goes out this long later (past the longest time the
 * server does not read a connection over its rate).
 */
export const DRAIN_PING_DELAY_MS = Limits.floodCloseAfterMs + 500;

export interface DrainPingOptions {
  readonly pending: PendingRequests;
  /** A new frame id starting with `prefix`. */
  readonly nextId: (prefix: string) => string;
  readonly sendPing: (id: string) => void;
  /** The id of the resync's sync ping while one waits. */
  readonly syncPingId: () => string | undefined;
  /** The sync ping `pingId` was dropped unread. */
  readonly onSyncPingDropped: (pingId: string) => void;
}

/** The drain ping sent, with what was waiting when it went out. */
interface SentDrainPing {
  readonly pingId: string;
  readonly publishIds: readonly string[];
  readonly syncPingId?: string;
}

export class DrainPing {
  readonly #options: DrainPingOptions;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #sent: SentDrainPing | undefined;

  constructor(options: DrainPingOptions) {
    this.#options = options;
  }

  /** The publish sent as `id` was acknowledged: those sent before it and still waiting were dropped. */
  acked(id: string): void {
    this.#options.pending.ackedInOrder(id, DROPPED_UNREAD);
  }

  /** The server said `rate_limited`: a drain ping goes out once the unread time is surely over. */
  rateLimited(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      const publishIds = this.#options.pending.waitingPublishes();
      const syncPingId = this.#options.syncPingId();
      if (publishIds.length === 0 && syncPingId === undefined) return;
      const pingId = this.#options.nextId('d');
      this.#sent = { pingId, publishIds, ...(syncPingId === undefined ? {} : { syncPingId }) };
      this.#options.sendPing(pingId);
    }, DRAIN_PING_DELAY_MS);
  }

  /** A pong; true when it answered the drain ping (what it found waiting then settles as dropped). */
  onPong(id: unknown): boolean {
    const sent = this.#sent;
    if (!sent || id !== sent.pingId) return false;
    this.#sent = undefined;
    this.#options.pending.dropped(sent.publishIds, DROPPED_UNREAD);
    if (sent.syncPingId !== undefined) this.#options.onSyncPingDropped(sent.syncPingId);
    return true;
  }

  /** An error answered frame `id`; true when it was the drain ping (then forgotten). */
  onRefused(id: string): boolean {
    if (!this.#sent || id !== this.#sent.pingId) return false;
    this.#sent = undefined;
    return true;
  }

  /** The connection ended. */
  reset(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#sent = undefined;
  }
}
