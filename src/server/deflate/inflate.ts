/**
 * Inflating what clients send, without zlib's thread pool.
 *
 * `ws` inflates each compressed client frame through a per-connection zlib stream on the thread
 * pool: every publish then reaches the hub in a callback of its own, later, one at a time, and
 * a burst of publishes no longer shares a turn (nor the write coalescing of its deliveries).
 * Measured on the fan-out benchmark, that alone doubled the server CPU per delivery of small
 * messages. The server answers with `client_no_context_takeover` (RFC 7692 §7.1.1.2 lets it,
 * whatever the client offered), so every client message is compressed on its own and can be
 * inflated in one synchronous call; a client that compresses only large frames then sends
 * small ones plain. Anything else — a message that inflates past 64 KiB, past the payload limit,
 * or invalid compressed data — goes to ws's own path, which inflates large messages on the
 * thread pool and refuses bad ones with the right close code (1009, 1007).
 */
import { constants, inflateRawSync } from 'node:zlib';
import type { WebSocket } from 'ws';
import { perMessageDeflateOf } from './ws-extension.js';

const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);
/**
 * Largest output inflated on the event loop (about a tenth of a millisecond); a message that
 * inflates to more goes to ws's thread-pool path, so a stream of compressed frames that each
 * inflate to the payload limit cannot hold the event loop.
 */
const SYNC_OUTPUT_LIMIT = 64 * 1024;
const EMPTY = Buffer.alloc(0);

/**
 * Makes `socket` inflate client messages synchronously (answered on the next turn, as ws's
 * receiver expects). Only when the negotiation settled on `client_no_context_takeover`.
 */
export function inflateSynchronously(socket: WebSocket, maxPayload: number): void {
  const extension = perMessageDeflateOf(socket);
  if (!extension?.params?.client_no_context_takeover) return;
  const viaWs = extension.decompress.bind(extension);
  let fragments: Buffer[] = [];
  extension.decompress = (data, fin, callback) => {
    if (!fin) {
      // ws bounds the compressed bytes of one message by maxPayload as they arrive.
      fragments.push(data);
      return process.nextTick(callback, null, EMPTY);
    }
    const compressed = fragments.length > 0 ? Buffer.concat([...fragments, data]) : data;
    fragments = [];
    let inflated: Buffer;
    try {
      inflated = inflateRawSync(Buffer.concat([compressed, TRAILER]), {
        finishFlush: constants.Z_SYNC_FLUSH,
        maxOutputLength: maxPayload > 0 ? Math.min(maxPayload, SYNC_OUTPUT_LIMIT) : SYNC_OUTPUT_LIMIT,
      });
    } catch {
      return viaWs(compressed, true, callback);
    }
    // Answered on the next event-loop turn, as the server's other frames are (one message per
    // connection per turn, see server.ts): a flood of compressed frames cannot hold the loop.
    setImmediate(callback, null, inflated);
  };
}
