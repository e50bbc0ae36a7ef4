/**
 * A message whose payload is carried as JSON text (`dataJson`) and parsed only when `data` is
 * read — once, for as long as this object lives. Large publishes travel this way: to history, to
 * every subscriber's frame and through Redis, a payload nobody filters on is never parsed.
 */
import type { BrokerMessage, MessageKind, PublishRequest } from './broker.js';

/** The fields of a message other than its payload. */
export type MessageFields = Omit<BrokerMessage, 'data' | 'dataJson'>;

export class RawJsonMessage implements BrokerMessage {
  readonly channel: string;
  readonly kind: MessageKind;
  readonly from: string;
  readonly timestamp: string;
  readonly seq: number;
  readonly epoch: string;
  readonly origin?: string;
  readonly frame?: Buffer;
  #data: unknown;
  #parsed = false;

  constructor(
    fields: MessageFields,
    /** The payload's JSON text, already known to be well-formed. */
    readonly dataJson: string,
  ) {
    ({ channel: this.channel, kind: this.kind, from: this.from, timestamp: this.timestamp } = fields);
    ({ seq: this.seq, epoch: this.epoch } = fields);
    if (fields.origin !== undefined) this.origin = fields.origin;
    if (fields.frame !== undefined) this.frame = fields.frame;
  }

  get data(): unknown {
    if (!this.#parsed) {
      this.#data = JSON.parse(this.dataJson) as unknown;
      this.#parsed = true;
    }
    return this.#data;
  }
}

/** Below this, a message's JSON parses faster whole than its payload can be cut out. */
const CUT_OUT_BYTES = 16 * 1024;
const DATA_KEY = ',"data":';
const AFTER_DATA_KEY = ',"timestamp":"';

/**
 * A message as the Redis broker stores and passes it on (without seq and epoch, which Redis
 * adds): `{"channel","kind","from","data","timestamp","origin"}`, a payload carried as text
 * spelled in place.
 */
export function encodeStoredJson(request: PublishRequest, timestamp: string, origin: string): string {
  const { channel, kind, from, dataJson } = request;
  if (dataJson === undefined) return JSON.stringify({ channel, kind, from, data: request.data, timestamp, origin });
  const head = JSON.stringify({ channel, kind, from });
  const tail = JSON.stringify({ timestamp, origin });
  return `${head.slice(0, -1)}${DATA_KEY}${dataJson},${tail.slice(1)}`;
}

/**
 * Decodes a message as `encodeStoredJson` writes it (`{"channel","kind","from","data",
 * "timestamp",…}`, e.g. from Redis). A large one keeps its payload as text: the first `,"data":`
 * cannot lie inside the strings before it (their quotes would be escaped), and the last
 * `,"timestamp":"` is the envelope's, the only member after `data` that could spell it being
 * the payload itself.
 */
export function decodeStoredJson(text: string): BrokerMessage {
  if (text.length < CUT_OUT_BYTES) return JSON.parse(text) as BrokerMessage;
  const start = text.indexOf(DATA_KEY);
  const end = text.lastIndexOf(AFTER_DATA_KEY);
  if (start < 0 || end <= start) return JSON.parse(text) as BrokerMessage;
  const fields = JSON.parse(`${text.slice(0, start)}${text.slice(end)}`) as MessageFields;
  return new RawJsonMessage(fields, text.slice(start + DATA_KEY.length, end));
}
