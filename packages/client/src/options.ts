/** The options of `NexusWebSocket`, and their defaults. */
import { DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { browserNetwork, type NetworkMonitor, type WebSocketConstructor } from './transport.js';

/** Options of `NexusWebSocket`; every one has a sensible default. */
export interface NexusWebSocketOptions extends Partial<BackoffOptions> {
  /**
   * WebSocket implementation; defaults to `globalThis.WebSocket` (browsers, Node ≥ 22). The
   * package's Node entry passes the `ws` package.
   */
  readonly WebSocket?: WebSocketConstructor;
  /** Reconnect attempts before giving up (`reconnect_failed`); default unlimited. */
  readonly maxAttempts?: number;
  /** A connection open this long resets the attempt counter; default 5000 ms. */
  readonly stableAfterMs?: number;
  /** Time allowed from socket creation to the server's `connected` frame; default 10000 ms. */
  readonly connectTimeoutMs?: number;
  /** Period of the application-level heartbeat ping; default 15000 ms. */
  readonly pingIntervalMs?: number;
  /** A ping unanswered this long means the connection is dead (reconnect); default 10000 ms. */
  readonly pongTimeoutMs?: number;
  /** Publishes kept while offline (oldest dropped first, with `queue_overflow`); default 1000. */
  readonly offlineQueueSize?: number;
  /** Refresh a token this long before it expires (less for short-lived tokens); default 30000 ms. */
  readonly refreshMarginMs?: number;
  /** Open the connection from the constructor; default false: nothing happens until `connect()`. */
  readonly autoConnect?: boolean;
  /** Online/offline signal; defaults to the browser's (`navigator.onLine`), none in Node. */
  readonly network?: NetworkMonitor;
  /** Random source of the backoff jitter (tests); default `Math.random`. */
  readonly random?: () => number;
  /** Clock (tests); default `Date.now`. */
  readonly now?: () => number;
}

/** Every option with its value or default (`network` stays undefined where there is none). */
export interface Settings {
  readonly WebSocket: WebSocketConstructor;
  readonly backoff: BackoffOptions;
  readonly maxAttempts: number;
  readonly stableAfterMs: number;
  readonly connectTimeoutMs: number;
  readonly pingIntervalMs: number;
  readonly pongTimeoutMs: number;
  readonly offlineQueueSize: number;
  readonly refreshMarginMs: number;
  readonly network: NetworkMonitor | undefined;
  readonly random: () => number;
  readonly now: () => number;
}

/** The options with their defaults; throws when there is no WebSocket implementation. */
export function settings(options: NexusWebSocketOptions): Settings {
  const Impl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!Impl)
    throw new Error(
      'NexusWebSocket: no WebSocket implementation; pass options.WebSocket (e.g. the default export of "ws")',
    );
  return {
    WebSocket: Impl,
    backoff: {
      initialDelayMs: options.initialDelayMs ?? DEFAULT_BACKOFF.initialDelayMs,
      maxDelayMs: options.maxDelayMs ?? DEFAULT_BACKOFF.maxDelayMs,
      factor: options.factor ?? DEFAULT_BACKOFF.factor,
    },
    maxAttempts: options.maxAttempts ?? Infinity,
    stableAfterMs: options.stableAfterMs ?? 5000,
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    pingIntervalMs: options.pingIntervalMs ?? 15_000,
    pongTimeoutMs: options.pongTimeoutMs ?? 10_000,
    offlineQueueSize: options.offlineQueueSize ?? 1000,
    refreshMarginMs: options.refreshMarginMs ?? 30_000,
    network: options.network ?? browserNetwork(),
    random: options.random ?? Math.random,
    now: options.now ?? Date.now,
  };
}
