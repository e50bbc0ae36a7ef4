/** Encoding of server → client frames. Deliveries are encoded once per fan-out and shared. */
import { FrameType, type DeliveryFrame, type ServerFrame } from '@nexus-realtime/client/protocol';
import type { BrokerMessage } from './broker/broker.js';

/** Encodes a frame as UTF-8 bytes, ready to send as a text frame. */
export function encodeFrame(frame: ServerFrame): Buffer {
  return Buffer.from(JSON.stringify(frame));
}

/**
 * The wire frame of a channel message: `message` (a client's publish) or `broadcast` (a
 * server-side publish); both name their author in `from`.
 */
export function toDeliveryFrame(message: BrokerMessage): DeliveryFrame {
  const { channel, from, data, timestamp, seq, epoch } = message;
  const type = message.kind === 'message' ? FrameType.Message : FrameType.Broadcast;
  return { type, channel, from, data, timestamp, seq, epoch };
}

/** Encodes a channel message once; the same bytes go to every recipient. */
export function encodeDelivery(message: BrokerMessage): Buffer {
  return encodeFrame(toDeliveryFrame(message));
}
