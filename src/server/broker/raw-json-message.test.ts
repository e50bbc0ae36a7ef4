import { describe, expect, it } from 'vitest';
import { encodeDelivery, payloadBytes } from './delivery-frame.js';
import { RawJsonMessage, decodeStoredJson, encodeStoredJson } from './raw-json-message.js';

// A payload that spells the members around it, to catch a cut at the wrong place.
const tricky = JSON.stringify({ note: ',"timestamp":"x","data":', pad: 'p'.repeat(20_000), n: [1, 2.5] });
const fields = { channel: 'c"1', kind: 'message', from: 'u,"data":', timestamp: '2026-12-07T00:00:00.000Z' } as const;

describe('payloads carried as JSON text', () => {
  it('encodes a delivery frame identical to the one built from the parsed payload', () => {
    const parsed = { ...fields, seq: 3, epoch: 'e', data: JSON.parse(tricky) as unknown };
    const carried = new RawJsonMessage({ ...fields, seq: 3, epoch: 'e' }, tricky);
    expect(encodeDelivery(carried).toString()).toBe(encodeDelivery(parsed).toString());
    expect(payloadBytes(carried, encodeDelivery(carried)).toString()).toBe(tricky);
  });

  it('parses the payload only when read, once', () => {
    const message = new RawJsonMessage({ ...fields, seq: 1, epoch: 'e' }, '{"a":[1]}');
    expect(message.data).toEqual({ a: [1] });
    expect(message.data).toBe(message.data);
  });

  it('round-trips a stored message with its payload left as text, and small ones parsed whole', () => {
    const stored = `${encodeStoredJson({ ...fields, data: null, dataJson: tricky }, fields.timestamp, 'p-1').slice(0, -1)},"seq":9,"epoch":"e"}`;
    const decoded = decodeStoredJson(stored);
    expect(decoded).toBeInstanceOf(RawJsonMessage);
    expect(decoded.dataJson).toBe(tricky);
    expect(decoded).toMatchObject({ ...fields, seq: 9, epoch: 'e', origin: 'p-1' });
    expect(decoded.data).toEqual(JSON.parse(tricky));
    // Written from a parsed payload, the text is the same.
    expect(encodeStoredJson({ ...fields, data: JSON.parse(tricky) }, fields.timestamp, 'p-1')).toBe(
      encodeStoredJson({ ...fields, data: null, dataJson: tricky }, fields.timestamp, 'p-1'),
    );
    const small = decodeStoredJson(JSON.stringify({ ...fields, data: { a: 1 }, origin: 'p', seq: 1, epoch: 'e' }));
    expect(small.data).toEqual({ a: 1 });
  });
});
