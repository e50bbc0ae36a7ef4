import { describe, expect, it } from 'vitest';
import { peekRequestId } from './peek-id.js';

const peek = (text: string) => peekRequestId(Buffer.from(text));

describe('peekRequestId', () => {
  it('reads a string or number id at the top level, wherever it stands', () => {
    expect(peek('{"action":"ping","id":"a-1"}')).toBe('a-1');
    expect(peek(' { "id" : 42 , "action":"ping"} ')).toBe(42);
    expect(peek('{"payload":{"id":"inner","list":[1,"]}",{"id":2}]},"id":-1.5e3}')).toBe(-1500);
    expect(peek('{"id":"\\u00e9t\\u00e9 \\"q\\""}')).toBe('été "q"');
    expect(peek('{"\\u0069d":"escaped-key"}')).toBe('escaped-key');
    expect(peek('{"id":"first","id":"last"}')).toBe('last');
    expect(peek('{"payload":"ünïcödé 🙂","id":"u"}')).toBe('u');
  });

  it('gives no id when the frame is not shaped like a JSON object', () => {
    for (const text of [
      '',
      'not json',
      '[{"id":1}]',
      '"id"',
      '{"id":"unterminated',
      '{"id":1',
      '{"id":1}}',
      '{"id":1} trailing',
      '{"action":"ping","id":"x",}',
      '{"id":}',
      '{id:1}',
    ])
      expect(peek(text), text).toBeUndefined();
  });

  it('gives no id when the value is not a valid request id', () => {
    for (const text of [
      '{"id":null}',
      '{"id":true}',
      '{"id":{"a":1}}',
      '{"id":[1]}',
      `{"id":"${'x'.repeat(129)}"}`,
      '{"id":01}',
      '{"other":"id"}',
      '{}',
    ])
      expect(peek(text), text.slice(0, 40)).toBeUndefined();
    expect(peek(`{"id":"${'x'.repeat(128)}"}`)).toBe('x'.repeat(128));
  });

  it('scans a deeply nested frame without recursion', () => {
    const deep = `{"payload":${'['.repeat(100_000)}${']'.repeat(100_000)},"id":"deep"}`;
    expect(peek(deep)).toBe('deep');
  });

  it('reads the id of a megabyte frame from its head or its last member, without walking the payload', () => {
    const payload = `[${new Array(350_000).fill('{}').join(',')}]`;
    expect(peek(`{"action":"publish","id":"head","channel":"c","payload":${payload}}`)).toBe('head');
    expect(peek(`{"action":"publish","channel":"c","payload":${payload},"id":7}`)).toBe(7);
    expect(peek(`{"action":"publish","channel":"c","payload":${payload}, "id" : "spaced" } `)).toBe('spaced');
    // An `id` nested in the payload's end is not the frame's.
    expect(peek(`{"action":"publish","channel":"c","payload":[${payload},{"id":"inner"}]}`)).toBeUndefined();
    expect(peek(`{"action":"publish","channel":"c","payload":${payload}}`)).toBeUndefined();
  });
});
