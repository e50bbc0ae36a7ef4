/** Encoding of server → client control frames (replies, errors). Deliveries: broker/delivery-frame.ts. */
import type { ServerFrame } from '@nexus-realtime/client/protocol';

/** Encodes a frame as UTF-8 bytes, ready to send as a text frame. */
export function encodeFrame(frame: ServerFrame): Buffer {
  return Buffer.from(JSON.stringify(frame));
}
