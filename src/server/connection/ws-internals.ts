/**
 * The few things Nexus reads from inside `ws` (8.23, pinned in package.json), in one place to
 * check when ws is upgraded: the TCP socket under a WebSocket (for write coalescing, drain
 * events and the data frames Nexus writes itself), whether its receiver still holds frames it
 * has not handed over yet, and the inflating of client messages, skipped while a flooding
 * connection is not read. What ws keeps of permessage-deflate is read in
 * deflate/ws-extension.ts.
 */
import type { Socket } from 'node:net';
import type { RawData, WebSocket } from 'ws';
import { perMessageDeflateOf } from '../deflate/index.js';

/** ws's receiver state while a frame is being inflated (lib/receiver.js, `INFLATING`). */
const RECEIVER_INFLATING = 5;

interface WebSocketInternals {
  readonly _socket?: Socket;
  readonly _receiver?: {
    readonly _bufferedBytes?: number;
    readonly _state?: number;
    /** Chunks written to the receiver while it was busy with an earlier one (Node's Writable). */
    readonly _writableState?: { readonly buffered?: readonly unknown[]; readonly bufferedIndex?: number };
  };
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

/**
 * True when more of the peer's bytes wait inside this process: in ws's receiver, queued for it
 * while it was busy, or in the socket's own buffer.
 */
export function moreBytesWaiting(socket: WebSocket): boolean {
  const internals = socket as unknown as WebSocketInternals;
  const queued = internals._receiver?._writableState;
  return (
    receiverBusy(socket) ||
    (queued?.buffered?.length ?? 0) > (queued?.bufferedIndex ?? 0) ||
    (internals._socket?.readableLength ?? 0) > 0
  );
}

/** The length of a received message without copying it, whatever form ws handed it over in. */
export function rawByteLength(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((sum, part) => sum + part.length, 0);
  return data.byteLength;
}

/** A received message as one Buffer, whatever form ws handed it over in. */
export function rawToBuffer(data: RawData): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.isBuffer(data) ? data : Buffer.from(data);
}

const EMPTY = Buffer.alloc(0);

/**
 * Makes ws hand over compressed messages uninflated (as empty text) while `discard()` is true,
 * so messages received from a connection that is not being read cost no zlib time. Only when
 * every client message is compressed on its own (`client_no_context_takeover`): skipping one
 * then cannot spoil the next. Decided at a message's first frame and kept to its last, so a
 * fragmented message is inflated whole or not at all.
 */
export function discardCompressedWhile(socket: WebSocket, discard: () => boolean): void {
  const extension = perMessageDeflateOf(socket);
  if (!extension?.params?.client_no_context_takeover) return;
  const inflate = extension.decompress.bind(extension);
  let discarding: boolean | undefined;
  extension.decompress = (data, fin, callback) => {
    discarding ??= discard();
    const skip = discarding;
    if (fin) discarding = undefined;
    if (!skip) return inflate(data, fin, callback);
    // ws expects the answer asynchronously, as zlib would give it; on the next turn, so the
    // frames of one TCP read are dropped a few per turn, never all in one.
    setImmediate(callback, null, EMPTY);
  };
}
