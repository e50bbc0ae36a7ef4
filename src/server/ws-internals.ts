/**
 * The few things Nexus reads from inside `ws` (8.23, pinned in package.json), in one place to
 * check when ws is upgraded: the TCP socket under a WebSocket (for write coalescing and drain
 * events) and whether its receiver still holds frames it has not handed over yet.
 */
import type { Socket } from 'node:net';
import type { RawData, WebSocket } from 'ws';

/** ws's receiver state while a frame is being inflated (lib/receiver.js, `INFLATING`). */
const RECEIVER_INFLATING = 5;

interface WebSocketInternals {
  readonly _socket?: Socket;
  readonly _receiver?: { readonly _bufferedBytes?: number; readonly _state?: number };
}

/** The TCP socket under the WebSocket (ws keeps it as `_socket`). */
export function rawSocketOf(socket: WebSocket): Socket | undefined {
  return (socket as unknown as WebSocketInternals)._socket;
}

/** True while ws holds bytes of frames not handed over yet, or is inflating one. */
export function receiverBusy(socket: WebSocket): boolean {
  const receiver = (socket as unknown as WebSocketInternals)._receiver;
  return !!receiver && ((receiver._bufferedBytes ?? 0) > 0 || receiver._state === RECEIVER_INFLATING);
}

/** A received message as one Buffer, whatever form ws handed it over in. */
export function rawToBuffer(data: RawData): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.isBuffer(data) ? data : Buffer.from(data);
}
