/**
 * Node.js adapter of the client: the same `NexusWebSocket` with `ws` injected as its WebSocket
 * (Node 20 has no global WebSocket, and `ws` reports refused upgrades' HTTP status, so a refused
 * token ends in `failed` instead of a retry loop). The package's `exports` map `.` here under
 * the `node` condition; browsers and bundlers get `../index.js`, which imports no Node module.
 */
import WebSocket from 'ws';
import { NexusWebSocket as BaseClient, type NexusWebSocketOptions, type WebSocketConstructor } from '../index.js';
import type { TokenProvider } from '../index.js';

export * from '../index.js';

/** `NexusWebSocket` using the `ws` package unless `options.WebSocket` says otherwise. */
export class NexusWebSocket extends BaseClient {
  constructor(url: string, token: TokenProvider, options: NexusWebSocketOptions = {}) {
    super(url, token, { WebSocket: WebSocket as unknown as WebSocketConstructor, ...options });
  }
}
