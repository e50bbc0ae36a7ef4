/**
 * Drops what a TCP socket still holds in its Node-side write buffer: the frames queued behind a
 * peer that stopped reading. A slow consumer is cut with a close frame; written behind megabytes
 * the peer will never want, that close frame reaches it only once all of them have, and the
 * socket is usually destroyed long before — the peer then sees a bare 1006. Dropping them first
 * puts the close frame right behind what the kernel already holds.
 *
 * Node has no public way to do this, so this reads the writable state of `node:stream`
 * (`_writableState`: `buffered`, `bufferedIndex`, `length`, `pendingcb`, `allNoop`; checked on
 * Node 20 and 22). Only writes still waiting in Node are dropped — never the one handed to the
 * kernel, which may be half sent — and only when none of them waits for a callback (Nexus writes
 * data frames without one). The socket is corked for a whole event-loop turn whenever a frame is
 * written (write-coalescer.ts), and Node hands its whole buffer to the kernel at once, so the
 * waiting writes always begin and end on frame boundaries. When the state does not look as
 * expected, nothing is dropped.
 */
import type { Socket } from 'node:net';

interface BufferedWrite {
  readonly chunk: { readonly length: number };
}

interface WritableInternals {
  buffered: BufferedWrite[];
  bufferedIndex: number;
  length: number;
  pendingcb: number;
  allBuffers: boolean;
  readonly allNoop: boolean;
  readonly objectMode: boolean;
}

/** Drops the writes `socket` still holds unsent; returns the bytes dropped (0 when it cannot). */
export function dropUnsentWrites(socket: Socket | undefined): number {
  const state = (socket as unknown as { _writableState?: Partial<WritableInternals> } | undefined)?._writableState;
  if (!socket || socket.destroyed || !isDroppable(state)) return 0;
  const waiting = state.buffered.slice(state.bufferedIndex);
  if (waiting.length === 0) return 0;
  const bytes = waiting.reduce((sum, write) => sum + write.chunk.length, 0);
  // As Node's own resetBuffer() leaves it: nothing waiting; each dropped write had a pending callback.
  state.buffered = [];
  state.bufferedIndex = 0;
  state.allBuffers = true;
  state.length -= bytes;
  state.pendingcb -= waiting.length;
  return bytes;
}

function isDroppable(state: Partial<WritableInternals> | undefined): state is WritableInternals {
  return (
    !!state &&
    Array.isArray(state.buffered) &&
    typeof state.bufferedIndex === 'number' &&
    typeof state.length === 'number' &&
    typeof state.pendingcb === 'number' &&
    state.allNoop === true &&
    state.objectMode === false
  );
}
