/**
 * `@nexus-realtime/client`: the Nexus client for browsers (this entry, no Node module in it) and
 * Node.js (`node/index.ts`, the same class with `ws`). The protocol's constants, types and
 * schemas are the `@nexus-realtime/client/protocol` entry.
 */
export { NexusWebSocket } from './nexus-websocket.js';
export type { NexusWebSocketOptions, NetworkMonitor, WebSocketConstructor, WebSocketLike } from './nexus-websocket.js';
export { CLIENT_EVENT_NAMES, ClientErrorCode } from './events.js';
export type {
  ChannelListener,
  ClientEvents,
  ConnectionState,
  PublishResult,
  ServerHealth,
  StateChange,
  SubscribeOptions,
  SubscribeResult,
} from './events.js';
export type { ClientSubscription } from './subscriptions.js';
export { tokenClaims, type TokenProvider } from './token.js';
export { backoffDelayMs, backoffCeilingMs, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
export { CloseCode, ErrorCode, isRetryableClose } from './protocol/codes.js';
export type { FilterScalar, Filters } from './protocol/filters.js';
export type { BroadcastFrame, DeliveryFrame, MessageFrame, Role, ServerFrame } from './protocol/frames.js';
