/** Public surface of the Nexus client library. */
export { NexusWebSocket } from './nexus-websocket.js';
export type { NexusWebSocketOptions, NetworkMonitor, WebSocketConstructor, WebSocketLike } from './nexus-websocket.js';
export { ClientErrorCode } from './events.js';
export type {
  ChannelListener,
  ClientEvents,
  ConnectionState,
  PublishResult,
  StateChange,
  SubscribeResult,
} from './events.js';
export type { ClientSubscription } from './subscriptions.js';
export { tokenClaims, type TokenProvider } from './token.js';
export { backoffDelayMs, backoffCeilingMs, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
export { CloseCode, ErrorCode, isRetryableClose } from './protocol/index.js';
export type { Filters } from './protocol/index.js';
