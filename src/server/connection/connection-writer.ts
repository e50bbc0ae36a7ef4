/**
 * Writes frames to one WebSocket with honest backpressure: only bytes the peer could have read
 * and did not count against the slow-consumer limit. Those are the bytes in the TCP socket's
 * buffer, less what the current event-loop turn wrote (the write coalescer corks the socket
 * until the turn ends, so the peer has had no chance to read them yet). A reader that keeps
 * reading is then never cut however large a burst one turn writes to it; one that stops reading
 * is cut once the limit is reached.
 *
 * Data frames do not go through `ws.send`: the writer writes frames built once per message
 * (`deflate/shared-deflate.ts`) straight into the TCP socket — compressed ones, RSV1 set, to a
 * connection that negotiated permessage-deflate, when the message is large enough. ws's own
 * per-socket compression queue is never used, so nothing this server sends (a small frame, a
 * reply, a ping or pong) waits behind compression, and every data frame of a connection takes
 * this one path, in order. Control frames (ping, pong, close) are still written by ws,
 * synchronously, into the same socket.
 */
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { deflateWindowBitsOf, sharedFramesOf, textFrameHeader } from '../deflate/index.js';
import type { Metrics } from '../metrics.js';
import { corkUntilEndOfTurn, countWrite, unreadBytes } from './write-coalescer.js';
import { rawSocketOf } from './ws-internals.js';

/** How often a paced writer looks again when no `drain` came. */
const ROOM_POLL_MS = 10;

export type RoomOutcome = 'room' | 'stalled' | 'closed';

export class ConnectionWriter {
  /** The negotiated permessage-deflate window; undefined when frames go out uncompressed. */
  readonly #windowBits: number | undefined;
  /** Data frames and their bytes written to this connection (plain counters, read by the admin routes). */
  framesOut = 0;
  bytesOut = 0;

  constructor(
    private readonly socket: WebSocket,
    readonly maxBufferedBytes: number,
    private readonly traffic: Metrics['traffic'],
    private readonly nowMs: () => number = Date.now,
  ) {
    this.#windowBits = deflateWindowBitsOf(socket);
  }

  /** The window compressed frames to this connection use; undefined without permessage-deflate. */
  get deflateWindowBits(): number | undefined {
    return this.#windowBits;
  }

  get #rawSocket(): Socket | undefined {
    return rawSocketOf(this.socket);
  }

  /** Bytes the server still holds for the connection (the socket's buffer). */
  get bufferedBytes(): number {
    return this.socket.bufferedAmount;
  }

  /** Bytes in the socket's buffer the peer could have read by now. */
  get unreadBytes(): number {
    return unreadBytes(this.#rawSocket);
  }

  /** True when the peer left more than the limit unread: the connection is a slow consumer. */
  get overLimit(): boolean {
    return this.unreadBytes > this.maxBufferedBytes;
  }

  /**
   * Sends `payload` as a text frame, coalesced with the turn's other writes to this socket.
   * A payload shared by a fan-out gets frames shared by its recipients: compressed once per
   * window size for those that negotiated permessage-deflate. `compressible` false sends it
   * uncompressed whatever its size (and builds its frame for this connection alone).
   */
  write(payload: Buffer, compressible = true): void {
    const raw = this.#rawSocket;
    if (!raw || raw.destroyed) return;
    corkUntilEndOfTurn(raw);
    const before = raw.writableLength;
    if (compressible) {
      const frames = sharedFramesOf(payload);
      raw.write(this.#windowBits === undefined ? frames.plain : frames.forDeflate(this.#windowBits));
    } else {
      // Sent to this connection alone (a replay): its header, then the payload itself, uncopied.
      raw.write(textFrameHeader(payload.length));
      raw.write(payload);
    }
    const written = raw.writableLength - before;
    countWrite(raw, written);
    this.traffic.framesOut++;
    this.traffic.bytesOut += written;
    this.framesOut++;
    this.bytesOut += written;
  }

  /**
   * Resolves once at most half the limit is buffered, so a paced sender (a replay) never piles
   * up more than that. `stalled` when nothing drained for `stallMs`: the peer stopped reading.
   */
  async waitForRoom(isOpen: () => boolean, stallMs: number): Promise<RoomOutcome> {
    const roomBytes = this.maxBufferedBytes / 2;
    let lowest = Number.POSITIVE_INFINITY;
    let progressAtMs = this.nowMs();
    while (isOpen()) {
      const buffered = this.bufferedBytes;
      if (buffered <= roomBytes) return 'room';
      if (buffered < lowest) {
        lowest = buffered;
        progressAtMs = this.nowMs();
      } else if (this.nowMs() - progressAtMs >= stallMs) {
        return 'stalled';
      }
      await drainedOrTimeout(this.#rawSocket, ROOM_POLL_MS);
    }
    return 'closed';
  }
}

/** Resolves on the socket's next `drain` or `close`, or after `ms`. */
function drainedOrTimeout(socket: Socket | undefined, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      socket?.off('drain', done);
      socket?.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    socket?.on('drain', done);
    socket?.on('close', done);
  });
}
