import { EventEmitter } from 'node:events';
import type { Response } from 'express';
import { describe, expect, it } from 'vitest';
import { JsonStream, YIELD_EVERY_BYTES } from './json-stream.js';

/** A response whose socket always takes everything at once (as loopback does). */
function eagerResponse() {
  const res = Object.assign(new EventEmitter(), {
    written: 0,
    write: (piece: string) => ((res.written += piece.length), true),
  });
  return res;
}

describe('JsonStream', () => {
  it('lets other work run while it writes a large answer, even when the socket never pushes back', async () => {
    const res = eagerResponse();
    const stream = new JsonStream(res as unknown as Response);
    const piece = 'x'.repeat(16 * 1024);
    const seenAt: number[] = [];
    // Another client's work, queued as I/O would be.
    const other = () => {
      seenAt.push(res.written);
      if (seenAt.length < 100) setImmediate(other);
    };
    setImmediate(other);
    for (let i = 0; i < 128; i++) await stream.write(piece); // 2 MiB
    expect(stream.bytes).toBe(128 * piece.length);
    // The other work ran between pieces of the answer, at least once per YIELD_EVERY_BYTES.
    const during = seenAt.filter((at) => at > 0 && at < stream.bytes);
    expect(during.length).toBeGreaterThanOrEqual(stream.bytes / YIELD_EVERY_BYTES - 1);
  });

  it('stops once the client is gone', async () => {
    const res = eagerResponse();
    const stream = new JsonStream(res as unknown as Response);
    expect(await stream.write('[')).toBe(true);
    res.emit('close');
    expect(await stream.write('1')).toBe(false);
    expect(res.written).toBe(1);
  });
});
