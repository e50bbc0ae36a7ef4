import { randomBytes } from 'node:crypto';
import { constants, inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { sharedDeflateStats, sharedFramesOf, textFrame, textFrameHeader } from './shared-deflate.js';

/** Length and payload offset read back from a frame header, as a client reads them. */
function readHeader(frame: Buffer): { fin: boolean; rsv1: boolean; opcode: number; length: number; offset: number } {
  const short = frame[1]! & 0x7f;
  const [length, offset] =
    short < 126 ? [short, 2] : short === 126 ? [frame.readUInt16BE(2), 4] : [Number(frame.readBigUInt64BE(2)), 10];
  expect(frame[1]! & 0x80).toBe(0); // server frames are never masked
  return { fin: (frame[0]! & 0x80) !== 0, rsv1: (frame[0]! & 0x40) !== 0, opcode: frame[0]! & 0x0f, length, offset };
}

describe('shared frames', () => {
  it('frames payloads of every length class with the right header', () => {
    for (const length of [0, 125, 126, 65_535, 65_536, 70_000]) {
      const payload = Buffer.alloc(length, 0x61);
      const frame = textFrame(payload, false);
      const header = readHeader(frame);
      expect(header).toMatchObject({ fin: true, rsv1: false, opcode: 1, length });
      expect(frame.length).toBe(header.offset + length);
      expect(textFrameHeader(length)).toEqual(frame.subarray(0, header.offset));
    }
  });

  it('compresses once per window, leaves small and incompressible messages plain', () => {
    const large = Buffer.from(JSON.stringify({ text: 'é漢🚀 '.repeat(400) }));
    const frames = sharedFramesOf(large);
    expect(sharedFramesOf(large)).toBe(frames);
    const before = sharedDeflateStats.compressions;
    const compressed = frames.forDeflate(15);
    expect(frames.forDeflate(15)).toBe(compressed);
    expect(sharedDeflateStats.compressions - before).toBe(1);
    const header = readHeader(compressed);
    expect(header.rsv1).toBe(true);
    const payload = compressed.subarray(header.offset);
    const inflated = inflateRawSync(Buffer.concat([payload, Buffer.from([0, 0, 0xff, 0xff])]), {
      finishFlush: constants.Z_SYNC_FLUSH,
    });
    expect(inflated.equals(large)).toBe(true);

    const small = sharedFramesOf(Buffer.from('{"a":1}'));
    expect(small.forDeflate(15)).toBe(small.plain);
    const noise = sharedFramesOf(randomBytes(4096));
    expect(noise.forDeflate(15)).toBe(noise.plain);
  });
});
