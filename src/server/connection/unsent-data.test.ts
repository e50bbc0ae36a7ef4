import { once } from 'node:events';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { dropUnsentWrites } from './unsent-data.js';

const CHUNK = Buffer.alloc(64 * 1024, 0x61);
const MARKER = Buffer.from('--the-end--');

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A loopback pair: the server side writes, the client side starts paused (not reading). */
async function pair(): Promise<{ writer: Socket; reader: Socket }> {
  const accepted = new Promise<Socket>((resolve) => {
    server = createServer((socket) => resolve(socket));
  });
  server!.listen(0, '127.0.0.1');
  await once(server!, 'listening');
  const { port } = server!.address() as { port: number };
  const reader = connect(port, '127.0.0.1');
  reader.pause();
  await once(reader, 'connect');
  return { writer: await accepted, reader };
}

/** Writes until Node itself holds at least `bytes` the kernel would not take. */
async function fillUntilHeld(writer: Socket, bytes: number): Promise<number> {
  let written = 0;
  for (let round = 0; writer.writableLength < bytes && round < 10_000; round++) {
    writer.write(CHUNK);
    written += CHUNK.length;
    if (round % 16 === 15) await new Promise((resolve) => setImmediate(resolve));
  }
  return written;
}

function readAll(reader: Socket): Promise<Buffer> {
  const parts: Buffer[] = [];
  reader.on('data', (part: Buffer) => parts.push(part));
  reader.resume();
  return once(reader, 'end').then(() => Buffer.concat(parts));
}

describe('dropUnsentWrites', () => {
  it('drops what waits in Node behind a peer that stopped reading; what is written next gets through, and end() still finishes', async () => {
    const { writer, reader } = await pair();
    const written = await fillUntilHeld(writer, 8 * 1024 * 1024);
    expect(writer.writableLength).toBeGreaterThanOrEqual(8 * 1024 * 1024);
    const dropped = dropUnsentWrites(writer);
    expect(dropped).toBeGreaterThan(0);
    expect(dropped % CHUNK.length).toBe(0);
    writer.end(MARKER);
    const finished = once(writer, 'finish');
    const received = await readAll(reader);
    await finished;
    expect(received.length).toBe(written - dropped + MARKER.length);
    expect(received.subarray(received.length - MARKER.length).equals(MARKER)).toBe(true);
    // Whole chunks only: everything before the marker is the chunks' bytes.
    expect(received.subarray(0, received.length - MARKER.length).every((byte) => byte === 0x61)).toBe(true);
  });

  it('drops nothing when a waiting write expects its callback', async () => {
    const { writer, reader } = await pair();
    await fillUntilHeld(writer, 1024 * 1024);
    let called = false;
    writer.write(CHUNK, () => (called = true));
    expect(dropUnsentWrites(writer)).toBe(0);
    writer.end();
    await readAll(reader);
    expect(called).toBe(true);
  });

  it('drops nothing from a socket with nothing waiting', async () => {
    const { writer, reader } = await pair();
    expect(dropUnsentWrites(writer)).toBe(0);
    writer.end(MARKER);
    expect((await readAll(reader)).equals(MARKER)).toBe(true);
  });
});
