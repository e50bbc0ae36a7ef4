/**
 * Coalesces the frames written to one socket during an event-loop turn into one write: the
 * first frame of a turn corks the TCP socket, and all corked sockets are uncorked once the
 * turn's I/O callbacks have run (setImmediate). A fan-out of many messages to the same
 * subscribers then costs one `writev` per socket per turn instead of one per frame — on
 * loopback most of a server's time is spent in those system calls.
 */
import type { Socket } from 'node:net';

const corked = new Set<Socket>();
let scheduled = false;

function uncorkAll(): void {
  scheduled = false;
  for (const socket of corked) if (!socket.destroyed) socket.uncork();
  corked.clear();
}

/** Corks `socket` until the end of the current event-loop turn (once per turn). */
export function corkUntilEndOfTurn(socket: Socket | undefined): void {
  if (!socket || corked.has(socket) || socket.destroyed) return;
  socket.cork();
  corked.add(socket);
  if (!scheduled) {
    scheduled = true;
    setImmediate(uncorkAll);
  }
}
