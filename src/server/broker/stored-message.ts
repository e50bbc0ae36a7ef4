/**
 * A message as history keeps it: its numbering and the bytes of its delivery frame, never the
 * parsed payload. A payload's object graph can cost twenty times its JSON on the heap (a
 * megabyte of `[{},{},…]` is about 20 MB of objects), so history that held parsed payloads was
 * bounded in JSON bytes but not in memory. The frame is what every subscriber is sent anyway
 * (encoded once, at publish), so keeping it costs its length and nothing is encoded again on
 * replay. The payload is parsed back only when something asks for `data` (a filtered replay, a
 * domain module learning from history), and only for as long as that reader holds it.
 */
import type { BrokerMessage, MessageKind } from './broker.js';

/** Counted per kept message on top of its frame: this object, its timestamp, the Buffer header, list links. */
export const STORED_MESSAGE_OVERHEAD_BYTES = 512;

export class StoredMessage implements BrokerMessage {
  constructor(
    readonly channel: string,
    readonly kind: MessageKind,
    readonly from: string,
    readonly timestamp: string,
    readonly seq: number,
    readonly epoch: string,
    /** The encoded delivery frame (`message` or `broadcast`), as sent to subscribers. */
    readonly frame: Buffer,
  ) {}

  /** A message's kept form: its fields and frame, without the parsed payload. */
  static of(message: BrokerMessage, frame: Buffer): StoredMessage {
    const { channel, kind, from, timestamp, seq, epoch } = message;
    return new StoredMessage(channel, kind, from, timestamp, seq, epoch, frame);
  }

  /** The payload, parsed from the frame on every read: nothing parsed stays attached to history. */
  get data(): unknown {
    return payloadOf(this.frame);
  }

  /** A short-lived view for one reader: parses the payload at most once, then drops with the view. */
  view(): BrokerMessage {
    return new ReadMessage(this.channel, this.kind, this.from, this.timestamp, this.seq, this.epoch, this.frame);
  }

  /** What keeping this message costs. */
  get bytes(): number {
    return this.frame.length + STORED_MESSAGE_OVERHEAD_BYTES;
  }
}

/** A stored message as one reader sees it: the payload parsed on first use and cached for that reader only. */
class ReadMessage extends StoredMessage {
  #data: unknown;
  #parsed = false;

  override get data(): unknown {
    if (!this.#parsed) {
      this.#data = super.data;
      this.#parsed = true;
    }
    return this.#data;
  }
}

function payloadOf(frame: Buffer): unknown {
  return (JSON.parse(frame.toString('utf8')) as { data?: unknown }).data;
}
