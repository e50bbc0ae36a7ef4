/** Encoding of server → client frames. Deliveries are encoded once per fan-out and shared. */
import { FrameType, type DeliveryFrame, type ServerFrame } from '../protocol/index.js';
import type { BrokerMessage } from './broker/broker.js';

/** Encodes a frame as UTF-8 bytes, ready to send as a text frame. */
export function encodeFrame(frame: ServerFrame): Buffer {
  return Buffer.from(JSON.stringify(frame));
}

/** The wire frame of a channel message: `message` (client publish) or `broadcast` (server). */
export function toDeliveryFrame(message: BrokerMessage): DeliveryFrame {
  const { channel, data, timestamp, seq, epoch } = message;
  return message.kind === 'message'
    ? { type: FrameType.Message, channel, from: message.from, data, timestamp, seq, epoch }
    : { type: FrameType.Broadcast, channel, data, timestamp, seq, epoch };
}

/** Encodes a channel message once; the same bytes go to every recipient. */
export function encodeDelivery(message: BrokerMessage): Buffer {
  return encodeFrame(toDeliveryFrame(message));
}
