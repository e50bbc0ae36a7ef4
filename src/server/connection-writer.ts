/**
 * Writes frames to one WebSocket with honest backpressure: only bytes the peer could have read
 * and did not count against the slow-consumer limit. Those are the bytes in the TCP socket's
 * buffer, less what the current event-loop turn wrote (the write coalescer corks the socket
 * until the turn ends, so the peer has had no chance to read them yet). A reader that keeps
 * reading is then never cut however large a burst one turn writes to it; one that stops reading
 * is cut once the limit is reached.
 *
 * ws's permessage-deflate queue is not the peer's doing: it grows when compression falls behind
 * (ws compresses one message at a time per socket, in zlib's thread pool). So it is kept short
 * instead of counted: while more than DEFLATE_BACKLOG_BYTES wait for compression, frames go out
 * uncompressed (a per-message choice permessage-deflate allows, RFC 7692 §6), and the queue
 * drains as soon as the message being compressed is done. It still counts for pacing replays.
 */
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { Limits } from '@nexus-realtime/client/protocol';
import type { Metrics } from './metrics.js';
import { corkUntilEndOfTurn, countWrite, unreadBytes } from './write-coalescer.js';
import { rawSocketOf } from './ws-internals.js';

const SEND_PLAIN = { binary: false, compress: false } as const;
const SEND_COMPRESSED = { binary: false, compress: true } as const;
/** How often a paced writer looks again when no `drain` came (ws's deflate queue emits none). */
const ROOM_POLL_MS = 10;
/** Bytes waiting for compression beyond which frames are sent uncompressed. */
const DEFLATE_BACKLOG_BYTES = 256 * 1024;

export type RoomOutcome = 'room' | 'stalled' | 'closed';

export class ConnectionWriter {
  constructor(
    private readonly socket: WebSocket,
    readonly maxBufferedBytes: number,
    private readonly traffic: Metrics['traffic'],
    private readonly nowMs: () => number = Date.now,
  ) {}

  get #rawSocket(): Socket | undefined {
    return rawSocketOf(this.socket);
  }

  /** Bytes the server still holds for the connection: socket buffer and deflate queue. */
  get bufferedBytes(): number {
    return this.socket.bufferedAmount;
  }

  /** Bytes in the socket's buffer the peer could have read by now. */
  get unreadBytes(): number {
    return unreadBytes(this.#rawSocket);
  }

  /** Bytes waiting in ws's permessage-deflate queue (not in the socket yet). */
  get #deflateBacklog(): number {
    return this.socket.bufferedAmount - (this.#rawSocket?.writableLength ?? 0);
  }

  /** True when the peer left more than the limit unread: the connection is a slow consumer. */
  get overLimit(): boolean {
    return this.unreadBytes > this.maxBufferedBytes;
  }

  /**
   * Sends a text frame, coalesced with the turn's other writes to this socket; `compressible`
   * false sends it uncompressed whatever its size.
   */
  write(bytes: Buffer, compressible = true): void {
    const raw = this.#rawSocket;
    corkUntilEndOfTurn(raw);
    // ws applies its own threshold only without context takeover; decide per frame here.
    const compress =
      compressible && bytes.length >= Limits.deflateThresholdBytes && this.#deflateBacklog < DEFLATE_BACKLOG_BYTES;
    const before = raw?.writableLength ?? 0;
    this.socket.send(bytes, compress ? SEND_COMPRESSED : SEND_PLAIN);
    // What went into the socket now (nothing when the frame waits for compression).
    countWrite(raw, (raw?.writableLength ?? 0) - before);
    this.traffic.framesOut++;
    this.traffic.bytesOut += bytes.length;
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
