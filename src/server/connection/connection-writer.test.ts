import { EventEmitter } from 'node:events';
import { constants, inflateRawSync } from 'node:zlib';
import type { WebSocket } from 'ws';
import { describe, expect, it } from 'vitest';
import { ConnectionWriter } from './connection-writer.js';
import { sharedDeflateStats } from '../deflate/index.js';

/**
 * A ws socket whose TCP socket records the frames written to it; `windowBits` set means
 * permessage-deflate was negotiated (no server context takeover) with that window.
 */
function fakeWebSocket(windowBits?: number) {
  const written: Buffer[] = [];
  const raw = Object.assign(new EventEmitter(), {
    writableLength: 0,
    destroyed: false,
    cork() {},
    uncork() {},
    write(frame: Buffer) {
      written.push(frame);
      raw.writableLength += frame.length;
      return true;
    },
  });
  const params =
    windowBits === undefined ? undefined : { server_no_context_takeover: true, server_max_window_bits: windowBits };
  const ws = {
    _socket: raw,
    _extensions: params ? { 'permessage-deflate': { params } } : {},
    get bufferedAmount() {
      return raw.writableLength;
    },
  };
  return { ws, raw, written };
}
/** A permessage-deflate payload inflated as a client does (RFC 7692 §7.2.2). */
const inflateMessage = (payload: Buffer) =>
  inflateRawSync(Buffer.concat([payload, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: constants.Z_SYNC_FLUSH });
/** RSV1 of a frame: set when its payload is compressed. */
const compressed = (frame: Buffer) => (frame[0]! & 0x40) !== 0;
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
    expect(writer.unreadBytes).toBe(5 * (600 + 4)); // each with its 4-byte header
    expect(writer.overLimit).toBe(true);
  });

  it('compresses frames of 1 KiB and more for a deflate connection, in order, and never a replayed one', () => {
    const { ws, written } = fakeWebSocket(15);
    const writer = new ConnectionWriter(ws as unknown as WebSocket, 1 << 30, traffic());
    const large = Buffer.from(JSON.stringify({ data: 'x'.repeat(4000) }));
    writer.write(Buffer.from('{"small":true}'));
    writer.write(large);
    writer.write(Buffer.from('{"after":1}'));
    writer.write(large, false);
    // The replayed one: its header, then the payload itself (not copied).
    expect(written.slice(0, 4).map(compressed)).toEqual([false, true, false, false]);
    expect(written[4]).toBe(large);
    expect(written[0]!.subarray(2).toString()).toBe('{"small":true}');
    expect(written[1]!.length).toBeLessThan(200);
    expect(written[3]!.length).toBe(4);
    expect(inflateMessage(written[1]!.subarray(2)).equals(large)).toBe(true);
  });

  it('writes the very same frame bytes to every recipient of a shared payload, compressing once per window', () => {
    const before = sharedDeflateStats.compressions;
    const sockets = [15, 15, 15, 10, undefined].map((bits) => fakeWebSocket(bits));
    const payload = Buffer.from(JSON.stringify({ data: 'y'.repeat(3000) }));
    for (const { ws } of sockets) new ConnectionWriter(ws as unknown as WebSocket, 1 << 30, traffic()).write(payload);
    const [a, b, c, narrow, plain] = sockets.map((s) => s.written[0]!);
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(narrow).not.toBe(a);
    expect(compressed(narrow!)).toBe(true);
    expect(compressed(plain!)).toBe(false);
    expect(sharedDeflateStats.compressions - before).toBe(2);
  });

  it('sends everything uncompressed to a connection without permessage-deflate', () => {
    const { ws, written } = fakeWebSocket();
    const writer = new ConnectionWriter(ws as unknown as WebSocket, 1 << 30, traffic());
    writer.write(Buffer.alloc(64 * 1024, 0x61));
    expect(compressed(written[0]!)).toBe(false);
    expect(written[0]!.length).toBe(64 * 1024 + 10);
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
