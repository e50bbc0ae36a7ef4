/**
 * The wire frame of a channel message, built once per message: the broker encodes it when it
 * accepts the message (and history keeps just these bytes), the hub sends the same bytes to every
 * recipient, and a replay sends them again unchanged.
 */
import { FrameType, type DeliveryFrame } from '@nexus-realtime/client/protocol';
import type { BrokerMessage } from './broker.js';

/**
 * The wire frame of a channel message: `message` (a client's publish) or `broadcast` (a
 * server-side publish); both name their author in `from`.
 */
export function toDeliveryFrame(message: BrokerMessage): DeliveryFrame {
  const { channel, from, data, timestamp, seq, epoch } = message;
  const type = message.kind === 'message' ? FrameType.Message : FrameType.Broadcast;
  return { type, channel, from, data, timestamp, seq, epoch };
}

/**
 * Encodes a channel message once; the same bytes go to every recipient. The buffer is its own
 * allocation, not a slice of Node's shared 8 KiB pool: history keeps these bytes, and a kept
 * slice would pin the whole pool slab it came from.
 */
export function encodeDelivery(message: BrokerMessage): Buffer {
  const text = JSON.stringify(toDeliveryFrame(message));
  const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
  bytes.write(text);
  return bytes;
}

/** The message's delivery frame: the broker's own when it built one, else encoded now. */
export function frameOf(message: BrokerMessage): Buffer {
  return message.frame ?? encodeDelivery(message);
}

/**
 * The bytes of the payload inside a message's delivery frame, without parsing or copying it (a
 * view of the frame). Falls back to encoding the payload when the frame is not the one
 * `encodeDelivery` builds for this message.
 */
export function payloadBytes(message: BrokerMessage, frame: Buffer): Buffer {
  const { channel, from, timestamp, seq, epoch } = message;
  const type = message.kind === 'message' ? FrameType.Message : FrameType.Broadcast;
  const head = `{"type":${JSON.stringify(type)},"channel":${JSON.stringify(channel)},"from":${JSON.stringify(from)},"data":`;
  const tail = `,"timestamp":${JSON.stringify(timestamp)},"seq":${seq},"epoch":${JSON.stringify(epoch)}}`;
  const start = Buffer.byteLength(head);
  const end = frame.length - Buffer.byteLength(tail);
  if (end > start && frame.toString('utf8', 0, start) === head && frame.toString('utf8', end) === tail)
    return frame.subarray(start, end);
  return Buffer.from(JSON.stringify(message.data) ?? 'null');
}
