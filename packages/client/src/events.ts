/** Events of `NexusWebSocket`: each listener gets one context object. */
import type { ErrorCode } from './protocol/codes.js';
import type { DeliveryFrame, HealthFrame, PresenceFrame, Role } from './protocol/frames.js';

/** Connection states; see the diagram on `NexusWebSocket`. */
export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed' | 'failed';

export interface StateChange {
  readonly previous: ConnectionState;
  readonly next: ConnectionState;
  readonly reason: string;
}

export interface ClientEvents {
  /** Every state transition. */
  state: StateChange;
  /** The server welcomed the connection (`connected` frame). */
  connected: {
    readonly connectionId: string;
    readonly userId: string;
    readonly role: Role;
    readonly heartbeatMs: number;
  };
  /** An open connection ended. */
  disconnected: { readonly code: number; readonly reason: string; readonly willReconnect: boolean };
  /** A reconnect is scheduled. */
  reconnecting: { readonly attempt: number; readonly delayMs: number; readonly nextRetryAt: number };
  /**
   * The client gave up (state `failed`): `code` says why — `auth_refused`, `token_expired`,
   * `policy_violation`, `closed_by_admin`, `unreachable` or `invalid_url`.
   */
  reconnect_failed: { readonly attempts: number; readonly reason: string; readonly code: ClientErrorCode };
  /** A server `error` frame, or a client-side problem (`code` then names it). */
  error: { readonly code: ErrorCode | ClientErrorCode; readonly message: string; readonly id?: string | number };
  /** Every channel message (client publish or server broadcast), once per seq. */
  message: { readonly channel: string; readonly data: unknown; readonly frame: DeliveryFrame };
  /**
   * The server confirmed a subscription of `channel` (also each resubscribe after a reconnect);
   * `recovered: false` means history could not cover the missed messages (a `gap` follows).
   */
  subscribed: {
    readonly channel: string;
    readonly seq: number;
    readonly epoch: string;
    readonly recovered?: boolean;
  };
  /** A resubscribe could not recover history: messages of `channel` were missed. */
  gap: { readonly channel: string; readonly since: number | undefined; readonly seq: number; readonly epoch: string };
  /** The offline queue was full: the oldest frames were dropped. */
  queue_overflow: { readonly dropped: number; readonly capacity: number };
  /** Round-trip time of an application heartbeat. */
  rtt: { readonly rttMs: number };
  /**
   * The server's health changed (its Redis went down, refuses writes, came back), or the
   * connection opened while the server was degraded. Also readable as `serverHealth`.
   */
  health: ServerHealth;
  /**
   * A user joined or left a channel subscribed with `{ presence: true }`: its first subscription
   * to the channel started, or its last one ended, on any server process.
   */
  presence: Readonly<Omit<PresenceFrame, 'type'>>;
}

/**
 * The server's health as its `health` frame tells it: `degraded` while its Redis is `down` or
 * `refusing writes` (publishes may fail with `unavailable`), `ok` with Redis `up`; `timestamp` is
 * when the server saw the change (milliseconds since 1970).
 */
export type ServerHealth = Readonly<Pick<HealthFrame, 'status' | 'redis' | 'timestamp'>>;

/** Every event name of `NexusWebSocket` (the keys of `ClientEvents`), e.g. to forward them all. */
export const CLIENT_EVENT_NAMES = [
  'state',
  'connected',
  'disconnected',
  'reconnecting',
  'reconnect_failed',
  'error',
  'message',
  'gap',
  'subscribed',
  'queue_overflow',
  'rtt',
  'health',
  'presence',
] as const satisfies readonly (keyof ClientEvents)[];

/** Fails to compile when `ClientEvents` gains an event that CLIENT_EVENT_NAMES does not list. */
type Assert<T extends true> = T;
type _EveryClientEventListed = Assert<
  [Exclude<keyof ClientEvents, (typeof CLIENT_EVENT_NAMES)[number]>] extends [never] ? true : false
>;

/** Codes of client-side errors and outcomes. */
export const ClientErrorCode = {
  /** The connection closed before the server answered; a publish may or may not have landed. */
  Disconnected: 'disconnected',
  /** The frame was dropped from a full offline queue. */
  QueueOverflow: 'queue_overflow',
  /** Terminal: the upgrade was refused (401/403) and the token was a string, or the provider returned the refused token. */
  AuthRefused: 'auth_refused',
  /** Terminal: the server closed with 4001 (token expired) and there is no newer token. */
  TokenExpired: 'token_expired',
  /** Terminal: the server closed for a broken rule (1007 invalid UTF-8, 1008 flooding, 1009 frame too big). */
  PolicyViolation: 'policy_violation',
  /** Terminal: an admin closed the connection with 4003, "stay away" (the default 4010 is retried). */
  ClosedByAdmin: 'closed_by_admin',
  /** Terminal: `maxAttempts` reconnects in a row failed. */
  Unreachable: 'unreachable',
  /** Terminal: the WebSocket could not even be created (e.g. a malformed URL). */
  InvalidUrl: 'invalid_url',
  /** The frame could not be sent (socket error) or the token provider failed. */
  SendFailed: 'send_failed',
  /** `disconnect()` was called before the server answered. */
  Closed: 'closed',
} as const;
export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

/**
 * Outcome of `publish()`: the server's ack, or why there is none (the server's `error` code, e.g.
 * `rate_limited` or `unavailable`, or a client code). Never rejects.
 */
export type PublishResult =
  | {
      readonly ok: true;
      readonly seq: number;
      /** The history generation `seq` belongs to (absent when the server's ack has none). */
      readonly epoch?: string;
      readonly channel: string;
    }
  | { readonly ok: false; readonly code: ErrorCode | ClientErrorCode; readonly message: string };

/** Options of `subscribe()`. */
export interface SubscribeOptions {
  /** Also receive `presence` events for the channel: users joining and leaving it. */
  readonly presence?: boolean;
}

/** Outcome of `subscribe()`: the first `subscribed` reply, or the error. Never rejects. */
export type SubscribeResult =
  | { readonly ok: true; readonly seq: number; readonly epoch: string; readonly recovered?: boolean }
  | { readonly ok: false; readonly code: ErrorCode | ClientErrorCode; readonly message: string };

/** Listener of a channel's messages: the message's data first, then the whole frame. */
export type ChannelListener = (data: unknown, frame: DeliveryFrame) => void;
