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
 * slice would pin the whole pool slab it came from. A payload carried as text (`dataJson`) is
 * spelled as it came, in the place `JSON.stringify` would put it.
 */
export function encodeDelivery(message: BrokerMessage): Buffer {
  const text =
    message.dataJson === undefined ? JSON.stringify(toDeliveryFrame(message)) : spliced(message, message.dataJson);
  const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
  bytes.write(text);
  return bytes;
}

/** The delivery frame's text around a payload already in JSON: the members in `toDeliveryFrame`'s order. */
function spliced(message: BrokerMessage, dataJson: string): string {
  const { channel, from, timestamp, seq, epoch } = message; // not `data`: reading it would parse the payload
  const type = message.kind === 'message' ? FrameType.Message : FrameType.Broadcast;
  const head = JSON.stringify({ type, channel, from, data: null, timestamp, seq, epoch });
  const at = head.indexOf(',"data":null,') + ',"data":'.length;
  return `${head.slice(0, at)}${dataJson}${head.slice(at + 'null'.length)}`;
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
  return Buffer.from(message.dataJson ?? JSON.stringify(message.data) ?? 'null');
}
