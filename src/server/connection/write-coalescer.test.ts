import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { InboundScheduler } from './inbound-scheduler.js';
import { corkUntilEndOfTurn, countWrite, flushCorkedWrites, unreadBytes } from './write-coalescer.js';

/** Just enough of a TCP socket to count corks. */
function fakeSocket() {
  const socket = {
    destroyed: false,
    corked: 0,
    cork() {
      socket.corked++;
    },
    uncork() {
      socket.corked--;
    },
  };
  return socket;
}
const endOfTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('write coalescer', () => {
  it('corks a socket once per turn and uncorks it when the turn ends', async () => {
    const socket = fakeSocket();
    corkUntilEndOfTurn(socket as unknown as Socket);
    corkUntilEndOfTurn(socket as unknown as Socket);
    countWrite(socket as unknown as Socket, 10);
    expect(socket.corked).toBe(1);
    await endOfTurn();
    expect(socket.corked).toBe(0);
  });

  it('does not count what this turn wrote as unread; the next turn does', async () => {
    const socket = Object.assign(fakeSocket(), { writableLength: 500 }) as unknown as Socket & {
      writableLength: number;
    };
    expect(unreadBytes(socket)).toBe(500);
    // 4000 bytes written this turn, on top of 500 left from earlier turns.
    socket.writableLength += 4000;
    countWrite(socket, 3000);
    countWrite(socket, 1000);
    expect(unreadBytes(socket)).toBe(500);
    // An earlier write completes during the turn: the buffer shrinks, this turn's bytes stay excluded.
    socket.writableLength -= 500;
    expect(unreadBytes(socket)).toBe(0);
    await endOfTurn();
    // The peer had its chance: whatever is still buffered is unread.
    expect(unreadBytes(socket)).toBe(4000);
    expect(unreadBytes(undefined)).toBe(0);
  });

  it('an inbound turn sends what it wrote as it ends, not one loop iteration later', async () => {
    const socket = fakeSocket();
    const turns: (() => void)[] = [];
    const scheduler = new InboundScheduler({ defer: (turn) => turns.push(turn) });
    let frames = 1;
    scheduler.wake({
      owner: 'u',
      hasWork: () => frames > 0,
      handleOne: () => {
        frames--;
        countWrite(socket as unknown as Socket, 10); // a reply written while handling the frame
      },
    });
    turns.shift()!();
    expect(socket.corked).toBe(0);
    // Flushing with nothing corked is a no-op; the immediate set up by the cork finds nothing left.
    flushCorkedWrites();
    await endOfTurn();
    expect(socket.corked).toBe(0);
  });
});
