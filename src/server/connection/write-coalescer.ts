/**
 * Coalesces the frames written to one socket during an event-loop turn into one write: the
 * first frame of a turn corks the TCP socket, and all corked sockets are uncorked once the
 * turn's I/O callbacks have run (setImmediate). A fan-out of many messages to the same
 * subscribers then costs one `writev` per socket per turn instead of one per frame — on
 * loopback most of a server's time is spent in those system calls.
 *
 * It also counts, per socket, the bytes written during the current turn: a corked socket sends
 * nothing until the turn ends, so those bytes sit in its buffer only because the peer has had
 * no chance to read them yet. Backpressure must not count them (see `unreadBytes`).
 */
import type { Socket } from 'node:net';

/** Sockets corked this turn, each with the bytes written to it since. */
const writtenThisTurn = new Map<Socket, number>();
let scheduled = false;

function uncorkAll(): void {
  scheduled = false;
  for (const socket of writtenThisTurn.keys()) if (!socket.destroyed) socket.uncork();
  writtenThisTurn.clear();
}

/**
 * Uncorks now every socket corked so far. The inbound scheduler calls it after each of its turns:
 * a turn runs in a `setImmediate` itself, where a new `setImmediate` only fires one loop
 * iteration later (after the next round of I/O), so every reply and delivery of a busy turn
 * would wait a whole iteration more.
 */
export function flushCorkedWrites(): void {
  if (writtenThisTurn.size > 0) uncorkAll();
}

/** Corks `socket` until the end of the current event-loop turn (once per turn). */
export function corkUntilEndOfTurn(socket: Socket | undefined): void {
  if (!socket || writtenThisTurn.has(socket) || socket.destroyed) return;
  socket.cork();
  writtenThisTurn.set(socket, 0);
  if (!scheduled) {
    scheduled = true;
    setImmediate(uncorkAll);
  }
}

/** Records `bytes` written to `socket`'s buffer this turn (corking it until the turn ends). */
export function countWrite(socket: Socket | undefined, bytes: number): void {
  if (!socket) return;
  corkUntilEndOfTurn(socket);
  const written = writtenThisTurn.get(socket);
  if (written !== undefined) writtenThisTurn.set(socket, written + bytes);
}

/**
 * Bytes in `socket`'s buffer that its peer could have read by now: all of them but those the
 * current turn wrote.
 */
export function unreadBytes(socket: Socket | undefined): number {
  if (!socket) return 0;
  return Math.max(0, socket.writableLength - (writtenThisTurn.get(socket) ?? 0));
}
