/**
 * Shapes of the admin routes that show the data plane: open connections and channels across
 * every process of the deployment. Pure types and constants.
 */
import { CloseCode } from './codes.js';

/** One subscription of a connection as the admin routes show it. */
export interface AdminSubscription {
  readonly channel: string;
  readonly filters?: Readonly<Record<string, unknown>>;
}

/** One open WebSocket (`GET /api/admin/connections`). */
export interface AdminConnection {
  readonly connectionId: string;
  readonly userId: string;
  readonly role: string;
  /** The process that holds the connection (its id, stable for the process's life). */
  readonly process: string;
  /**
   * The same process's readable name, `host:port` (its machine's name when it listens on every
   * interface). Absent from a process that does not name itself yet (older versions).
   */
  readonly processAddress?: string;
  readonly remoteAddress: string;
  /** ISO-8601 time the connection opened. */
  readonly connectedAt: string;
  readonly subscriptions: readonly AdminSubscription[];
  readonly framesIn: number;
  readonly framesOut: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly bufferedBytes: number;
  readonly dropped: number;
  /** Round-trip time of the last heartbeat, once one was answered. */
  readonly rttMs?: number;
}

/** One channel with local subscribers somewhere (`GET /api/admin/channels`). */
export interface AdminChannel {
  readonly channel: string;
  readonly subscribers: number;
  readonly messagesPerSecond: number;
  readonly seq: number;
  readonly epoch: string;
  readonly historyMessages: number;
  readonly historyBytes: number;
}

/** Body of `POST /api/admin/connections/:id/close`. */
export interface AdminCloseRequest {
  readonly code?: number;
  readonly reason?: string;
}

/**
 * Bounds and defaults of the admin close route. The default, 4010 (`CloseCode.ClosedByAdmin`), lets
 * the client come back after its usual backoff; an admin who wants it to stay away sends 4003.
 */
export const AdminClose = {
  defaultCode: CloseCode.ClosedByAdmin,
  defaultReason: 'closed by admin',
  minCode: 4000,
  maxCode: 4999,
  maxReasonBytes: 123,
} as const;

/**
 * Response header of the admin list routes: comma-separated ids of the live processes that did
 * not answer in time (absent when every process answered). Their connections are not listed.
 */
export const MISSING_PROCESSES_HEADER = 'X-Nexus-Missing-Processes';

/** Response header of `GET /api/admin/connections`: the slow-consumer limit (`NEXUS_MAX_BUFFERED`) in bytes. */
export const MAX_BUFFERED_HEADER = 'X-Nexus-Max-Buffered';

/**
 * Paging of `GET /api/admin/connections`: `?limit=` (default and largest value below) and
 * `?cursor=`, the opaque value of the `X-Nexus-Next` response header, present while more may follow.
 * A page may hold fewer than `limit` connections (each process answers a bounded number of bytes).
 */
export const AdminConnectionsPage = {
  defaultLimit: 500,
  maxLimit: 5000,
} as const;

/** Response header of `GET /api/admin/connections`: the cursor of the next page (absent on the last). */
export const NEXT_CURSOR_HEADER = 'X-Nexus-Next';
