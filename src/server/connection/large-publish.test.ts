import { describe, expect, it } from 'vitest';
import { LARGE_PUBLISH_BYTES, payloadJsonOf, readLargePublish } from './large-publish.js';

const big = (n = LARGE_PUBLISH_BYTES) => `[${new Array(Math.ceil(n / 3)).fill('{}').join(',')}]`;

describe('readLargePublish', () => {
  it('reads the envelope and keeps the payload as the exact text it came in as', () => {
    const payload = ` ${big()} `.trim();
    const frame = readLargePublish(`{"action":"publish","channel":"c.1","id":"r-7","payload":${payload}}`);
    expect(frame).toMatchObject({ action: 'publish', channel: 'c.1', id: 'r-7', payload: null });
    expect(frame && payloadJsonOf(frame)).toBe(payload);
  });

  it('takes the payload wherever it stands among the members, with whitespace', () => {
    const payload = '{"nested":{"s":"a \\"quoted\\" } ]"},"list":[1,2.5,-3,true,false,null]}';
    const frame = readLargePublish(` {\n "payload" : ${payload} ,\t"channel":"c","action":"publish" } `);
    expect(frame && payloadJsonOf(frame)).toBe(payload);
    expect(JSON.parse(payloadJsonOf(frame!)!)).toEqual(JSON.parse(payload));
  });

  it('takes the last of repeated payload members, as JSON.parse does', () => {
    const frame = readLargePublish('{"action":"publish","channel":"c","payload":1,"payload":[2]}');
    expect(frame && payloadJsonOf(frame)).toBe('[2]');
  });

  it.each([
    ['another action', '{"action":"subscribe","channel":"c","payload":[1]}'],
    ['no payload', '{"action":"publish","channel":"c"}'],
    ['a malformed payload', '{"action":"publish","channel":"c","payload":[1,]}'],
    ['a payload number with an exponent (maybe not finite)', '{"action":"publish","channel":"c","payload":[1e400]}'],
    ['a payload nested too deep', `{"action":"publish","channel":"c","payload":${'['.repeat(200)}${']'.repeat(200)}}`],
    ['an escaped key', '{"action":"publish","channel":"c","pay\\u006coad":[1]}'],
    ['trailing text', '{"action":"publish","channel":"c","payload":[1]} x'],
    ['a bad envelope member', '{"action":"publish","channel":7,"payload":[1]}'],
    ['not an object', '[1]'],
  ])('leaves %s to the ordinary path', (_name, text) => {
    expect(readLargePublish(text)).toBeUndefined();
  });
});
