import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import { describe, expect, it } from 'vitest';
import { ConnectionWriter } from './connection-writer.js';

/** A ws socket whose buffered bytes the test sets; its TCP socket holds `socketBytes` of them. */
function fakeWebSocket() {
  const raw = Object.assign(new EventEmitter(), {
    writableLength: 0,
    destroyed: false,
    cork() {},
    uncork() {},
  });
  const sent: { bytes: number; compress: boolean }[] = [];
  const ws = {
    _socket: raw,
    deflateQueue: 0,
    get bufferedAmount() {
      return raw.writableLength + ws.deflateQueue;
    },
    send(data: Buffer, options: { compress: boolean }) {
      sent.push({ bytes: data.length, compress: options.compress });
      if (options.compress) ws.deflateQueue += data.length;
      else raw.writableLength += data.length;
    },
  };
  return { ws, raw, sent };
}
const traffic = () => ({ framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0 });
const endOfTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('ConnectionWriter', () => {
  it('counts as unread only what stays in the socket after the turn that wrote it', async () => {
    const { ws } = fakeWebSocket();
    const writer = new ConnectionWriter(ws as unknown as WebSocket, 1000, traffic());
    for (let i = 0; i < 5; i++) writer.write(Buffer.alloc(600), false);
    expect(writer.unreadBytes).toBe(0);
    expect(writer.overLimit).toBe(false);
    await endOfTurn();
    expect(writer.unreadBytes).toBe(3000);
    expect(writer.overLimit).toBe(true);
  });

  it('compresses large frames while compression keeps up, and sends plain ones once it falls behind', async () => {
    const { ws, sent } = fakeWebSocket();
    const writer = new ConnectionWriter(ws as unknown as WebSocket, 1 << 30, traffic());
    writer.write(Buffer.alloc(100)); // small: never compressed
    for (let i = 0; i < 6; i++) writer.write(Buffer.alloc(64 * 1024));
    writer.write(Buffer.alloc(64 * 1024), false);
    expect(sent.map((s) => s.compress)).toEqual([false, true, true, true, true, false, false, false]);
    // The deflate queue is not the peer's doing: it does not count as unread.
    await endOfTurn();
    expect(writer.unreadBytes).toBe(100 + 3 * 64 * 1024);
    expect(writer.bufferedBytes).toBe(100 + 7 * 64 * 1024);
  });

  it('waits for room: at once when there is, until the peer reads, or gives up on a peer that reads nothing', async () => {
    let now = 0;
    const { ws, raw } = fakeWebSocket();
    const writer = new ConnectionWriter(ws as unknown as WebSocket, 1000, traffic(), () => now);
    expect(await writer.waitForRoom(() => true, 100)).toBe('room');
    raw.writableLength = 900;
    const waiting = writer.waitForRoom(() => true, 100);
    await new Promise((resolve) => setTimeout(resolve, 15));
    raw.writableLength = 400;
    raw.emit('drain');
    expect(await waiting).toBe('room');
    raw.writableLength = 900;
    const stalled = writer.waitForRoom(() => true, 100);
    await new Promise((resolve) => setTimeout(resolve, 15));
    now = 150;
    expect(await stalled).toBe('stalled');
    expect(await writer.waitForRoom(() => false, 100)).toBe('closed');
  });
});
