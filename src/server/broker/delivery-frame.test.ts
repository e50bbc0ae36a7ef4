import { describe, expect, it } from 'vitest';
import type { BrokerMessage } from './broker.js';
import { encodeDelivery, frameOf, payloadBytes } from './delivery-frame.js';

const message = (data: unknown, extra: Partial<BrokerMessage> = {}): BrokerMessage => ({
  channel: 'ch.1',
  kind: 'message',
  from: 'user "q"',
  data,
  timestamp: '2026-01-01T00:00:00.000Z',
  seq: 7,
  epoch: 'e.1',
  ...extra,
});

describe('delivery frames', () => {
  it('encodes a message once into its own buffer, and reuses a frame the broker built', () => {
    const m = message({ a: [1, { b: 'ü' }] });
    const frame = encodeDelivery(m);
    expect(JSON.parse(frame.toString())).toEqual({ type: 'message', ...m, kind: undefined });
    expect(frame.byteOffset).toBe(0);
    expect(frame.buffer.byteLength).toBe(frame.length);
    expect(frameOf({ ...m, frame })).toBe(frame);
  });

  it.each([{ x: 1 }, [{}, {}], 'text "quoted" ü', 0, null, true])('slices the payload %j out of the frame', (data) => {
    const m = message(data, { kind: 'broadcast' });
    const frame = encodeDelivery(m);
    const bytes = payloadBytes(m, frame);
    expect(JSON.parse(bytes.toString())).toEqual(data);
    expect(bytes.buffer).toBe(frame.buffer);
  });

  it('encodes the payload instead when the frame is not this message’s', () => {
    const m = message({ x: 1 });
    const other = encodeDelivery(message({ x: 1 }, { seq: 8 }));
    expect(JSON.parse(payloadBytes(m, other).toString())).toEqual({ x: 1 });
    expect(payloadBytes(m, other).buffer).not.toBe(other.buffer);
  });
});
