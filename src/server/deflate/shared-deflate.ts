/**
 * Wire frames built once per message and shared by every recipient ("shared compressor").
 *
 * permessage-deflate without server context takeover compresses each message on its own, so
 * its compressed bytes depend only on the message and the window size, not on the recipient.
 * A message of at least `Limits.deflateThresholdBytes` is therefore compressed once per window
 * size in use (RFC 7692 §7.2.1: DEFLATE with a sync flush, the trailing 00 00 ff ff removed)
 * and the same frame — RSV1 set, text opcode, unmasked as every server frame — is written to
 * every socket that negotiated that window. The uncompressed frame is built once too.
 *
 * Frames are found by the encoded payload they carry: the hub encodes a delivery once per
 * fan-out and hands every session the same Buffer, so a WeakMap keyed by that Buffer holds the
 * frames exactly as long as the fan-out (or a queue of it) does. Compression runs synchronously,
 * in the fan-out: a few tens of µs for a few KB, paid once however many recipients, and no
 * per-socket queue that later frames, pings or pongs would have to wait behind.
 */
import { constants, deflateRawSync } from 'node:zlib';
import { Limits } from '@nexus-realtime/client/protocol';

/** Smallest and largest LZ77 window (bits) this server compresses with; 8 is refused at negotiation. */
export const MIN_WINDOW_BITS = 9;
export const MAX_WINDOW_BITS = 15;

const FIN_TEXT = 0x81;
const FIN_RSV1_TEXT = 0xc1;
const SYNC_FLUSH_TAIL = 4;

/** Counts compressions (tests and benchmarks read it to see that a fan-out compresses once). */
export const sharedDeflateStats = { compressions: 0, compressedBytesIn: 0, compressedBytesOut: 0 };

/** Length of the header of an unmasked frame carrying `length` bytes. */
function headerLength(length: number): number {
  return length < 126 ? 2 : length < 65_536 ? 4 : 10;
}

/** Writes the header of an unmasked, unfragmented text frame of `length` bytes at the start of `target`. */
function writeHeader(target: Buffer, length: number, compressed: boolean): void {
  target[0] = compressed ? FIN_RSV1_TEXT : FIN_TEXT;
  if (length < 126) {
    target[1] = length;
  } else if (length < 65_536) {
    target[1] = 126;
    target.writeUInt16BE(length, 2);
  } else {
    target[1] = 127;
    target.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    target.writeUInt32BE(length >>> 0, 6);
  }
}

/** The header alone of an uncompressed text frame of `length` bytes (the payload follows it on the wire). */
export function textFrameHeader(length: number): Buffer {
  const header = Buffer.allocUnsafe(headerLength(length));
  writeHeader(header, length, false);
  return header;
}

/** Builds an unmasked, unfragmented text frame around `payload` (one buffer: header and a copy of it). */
export function textFrame(payload: Uint8Array, compressed: boolean): Buffer {
  const offset = headerLength(payload.length);
  const frame = Buffer.allocUnsafe(offset + payload.length);
  writeHeader(frame, payload.length, compressed);
  frame.set(payload, offset);
  return frame;
}

/** The permessage-deflate payload of `payload` (no context takeover), or undefined when it does not shrink. */
export function deflateMessage(payload: Uint8Array, windowBits: number): Buffer | undefined {
  sharedDeflateStats.compressions++;
  const out = deflateRawSync(payload, { windowBits, finishFlush: constants.Z_SYNC_FLUSH });
  const compressed = out.subarray(0, out.length - SYNC_FLUSH_TAIL);
  sharedDeflateStats.compressedBytesIn += payload.length;
  sharedDeflateStats.compressedBytesOut += compressed.length;
  return compressed.length < payload.length ? compressed : undefined;
}

/** The frames of one encoded message, each built on first use. */
export class SharedFrames {
  #plain: Buffer | undefined;
  /** Per window size (index = bits − MIN_WINDOW_BITS): the compressed frame, or null when compression does not pay. */
  #deflated: (Buffer | null | undefined)[] | undefined;

  constructor(readonly payload: Buffer) {}

  /** The uncompressed frame. */
  get plain(): Buffer {
    return (this.#plain ??= textFrame(this.payload, false));
  }

  /**
   * The frame for a socket that negotiated permessage-deflate with `windowBits`: compressed when
   * the message reaches the threshold and compression makes it smaller, else the plain one.
   */
  forDeflate(windowBits: number): Buffer {
    if (this.payload.length < Limits.deflateThresholdBytes) return this.plain;
    const slot = windowBits - MIN_WINDOW_BITS;
    const deflated = (this.#deflated ??= []);
    let frame = deflated[slot];
    if (frame === undefined) {
      const compressed = deflateMessage(this.payload, windowBits);
      frame = deflated[slot] = compressed ? textFrame(compressed, true) : null;
    }
    return frame ?? this.plain;
  }
}

const framesByPayload = new WeakMap<Buffer, SharedFrames>();

/** The shared frames of an encoded message: the same object for the same payload Buffer. */
export function sharedFramesOf(payload: Buffer): SharedFrames {
  let frames = framesByPayload.get(payload);
  if (!frames) framesByPayload.set(payload, (frames = new SharedFrames(payload)));
  return frames;
}
