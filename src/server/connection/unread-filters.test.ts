import { describe, expect, it } from 'vitest';
import { Limits, filtersByteLength, filtersKey, parseClientFrame, type Filters } from '@nexus-realtime/client/protocol';
import { memberSpans } from './json-validator.js';
import {
  filtersFingerprint,
  measurePlainFilters,
  readInFull,
  readSubscribeUnread,
  unreadFiltersOf,
} from './unread-filters.js';

/** The filters member of a frame's text, measured on the text. */
function measured(text: string) {
  const span = memberSpans(text, Limits.maxJsonDepth - 1)?.get('filters');
  if (!span) throw new Error(`no filters in ${text}`);
  return measurePlainFilters(text, span.start, span.end);
}

/** A small deterministic random source, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('plainly written filters are measured without being parsed', () => {
  it('gives exactly the UTF-8 bytes of their compact JSON, whatever the whitespace and characters', () => {
    const next = random(7);
    const alphabet = ['a', 'Z', '7', ' ', 'é', '€', '🙂', '-', '.', ':', ',', '{', ']'];
    const word = () =>
      Array.from({ length: 1 + Math.floor(next() * 12) }, () => alphabet[Math.floor(next() * alphabet.length)]).join(
        '',
      );
    const scalar = () => {
      const r = next();
      if (r < 0.5) return word();
      if (r < 0.8) return Math.floor((next() - 0.5) * 1e12);
      return next() < 0.5;
    };
    const space = () => [' ', '', '\n', '\t ', '  \r\n'][Math.floor(next() * 5)];
    for (let round = 0; round < 2000; round++) {
      const filters: Record<string, unknown> = {};
      for (let k = 0, keys = 1 + Math.floor(next() * 6); k < keys; k++) {
        filters[`k${k}${word()}`] =
          next() < 0.5 ? scalar() : Array.from({ length: 1 + Math.floor(next() * 20) }, scalar);
      }
      // The same filters spelled with random whitespace between the tokens.
      const spelled = JSON.stringify(filters).replace(
        /("(?:[^"\\]|\\.)*")|([{}[\],:])/g,
        (_m, str: string, punct: string) => (str ? `${space()}${str}${space()}` : `${space()}${punct}${space()}`),
      );
      const text = `{"action":"subscribe","channel":"c","filters":${spelled}}`;
      expect(JSON.parse(spelled)).toEqual(filters);
      const parsed = JSON.parse(spelled) as Filters;
      expect(measured(text), spelled).toEqual({
        bytes: filtersByteLength(parsed),
        fingerprint: filtersFingerprint(parsed),
      });
    }
  });

  it.each([
    ['an escape', '{"a":"\\u0041"}'],
    ['a fraction', '{"a":1.0}'],
    ['an exponent', '{"a":1e2}'],
    ['minus zero', '{"a":-0}'],
    ['an integer past 15 digits', '{"a":1234567890123456}'],
    ['a repeated key', '{"a":1,"a":2}'],
    ['a reserved key', '{"__proto__":1}'],
    ['a nested object', '{"a":{"b":1}}'],
    ['an array in an array', '{"a":[[1]]}'],
    ['an array of objects', '{"a":[{}]}'],
    ['not an object', '["a"]'],
    [
      `more than ${Limits.maxFilterKeys} keys`,
      JSON.stringify(Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, i]))),
    ],
  ])('leaves filters with %s to the ordinary parse', (_what, filters) => {
    const head = '{"action":"subscribe","channel":"c","filters":';
    expect(measurePlainFilters(`${head}${filters}}`, head.length, head.length + filters.length)).toBeUndefined();
    expect(readSubscribeUnread(`${head}${filters}}`, 0)).toBeUndefined();
  });
});

describe('fingerprints of filters', () => {
  it('are equal for filters that mean the same, however their values are ordered or repeated', () => {
    const next = random(11);
    for (let round = 0; round < 500; round++) {
      const values = Array.from({ length: 1 + Math.floor(next() * 30) }, () =>
        next() < 0.5 ? `v${Math.floor(next() * 50)}` : Math.floor(next() * 50),
      );
      const shuffled = [...values, ...values.slice(0, 3)].sort(() => next() - 0.5);
      const a: Filters = { kind: 'x', ids: values };
      const b: Filters = { ids: shuffled, kind: 'x' };
      expect(filtersKey(a)).toBe(filtersKey(b));
      expect(filtersFingerprint(a)).toBe(filtersFingerprint(b));
      const text = `{"action":"subscribe","channel":"c","filters":${JSON.stringify(b)}}`;
      expect(measured(text)?.fingerprint).toBe(filtersFingerprint(a));
    }
  });

  it('tell a value from a one-value list, and different ends apart', () => {
    expect(filtersFingerprint({ a: 'x' })).not.toBe(filtersFingerprint({ a: ['x'] }));
    expect(filtersFingerprint({ a: ['x', 'y'] })).not.toBe(filtersFingerprint({ a: ['x', 'z'] }));
    expect(filtersFingerprint({ a: 1 })).not.toBe(filtersFingerprint({ a: '1' }));
    expect(filtersFingerprint({ a: 1 })).not.toBe(filtersFingerprint({ b: 1 }));
  });
});

describe('a subscribe whose filters cannot fit is read without them', () => {
  const filters = { agent_id: Array.from({ length: 50 }, (_, i) => `agent-${i}`) };
  const bytes = filtersByteLength(filters);
  const text = JSON.stringify({ action: 'subscribe', channel: 'fleet', filters, id: 'f1', since: 3 });

  it('keeps its envelope, its size and its text, and no filters', () => {
    const frame = readSubscribeUnread(text, bytes - 1);
    expect(frame).toMatchObject({
      action: 'subscribe',
      channel: 'fleet',
      id: 'f1',
      since: 3,
      filtersBytes: bytes,
      filtersFingerprint: filtersFingerprint(filters),
    });
    expect(frame && 'filters' in frame).toBe(false);
    expect(unreadFiltersOf(frame!)?.unreadText).toBe(text);
    // Read in full when it may be kept after all: the same frame as the ordinary parse gives.
    const ordinary = parseClientFrame(JSON.parse(text));
    expect(ordinary.ok).toBe(true);
    expect(readInFull(frame!)).toEqual({ ok: true, frame: ordinary.ok ? ordinary.frame : undefined });
  });

  it('is not used when the filters fit, are over the per-subscription bound, or the frame is anything else', () => {
    expect(readSubscribeUnread(text, bytes)).toBeUndefined();
    const huge = { a: Array.from({ length: 256 }, (_, i) => `value-number-${i}`) };
    expect(filtersByteLength(huge)).toBeGreaterThan(Limits.maxFiltersBytes);
    expect(
      readSubscribeUnread(JSON.stringify({ action: 'subscribe', channel: 'c', filters: huge }), 0),
    ).toBeUndefined();
    expect(readSubscribeUnread(JSON.stringify({ action: 'unsubscribe', channel: 'c', filters }), 0)).toBeUndefined();
    expect(readSubscribeUnread(JSON.stringify({ action: 'subscribe', channel: '', filters }), 0)).toBeUndefined();
    expect(readSubscribeUnread(`${text.slice(0, -1)},}`, 0)).toBeUndefined();
    expect(readSubscribeUnread(JSON.stringify({ action: 'subscribe', channel: 'c' }), 0)).toBeUndefined();
    expect(unreadFiltersOf({ action: 'subscribe', channel: 'c' } as never)).toBeUndefined();
  });

  it('reading in full gives the ordinary refusal of filters the schema does not take', () => {
    const bad = JSON.stringify({ action: 'subscribe', channel: 'c', filters: { a: [true, 'x', 1], b: [] }, id: 9 });
    const frame = readSubscribeUnread(bad, 0);
    expect(frame).toBeDefined();
    const ordinary = parseClientFrame(JSON.parse(bad));
    expect(ordinary.ok).toBe(false);
    expect(readInFull(frame!)).toMatchObject({ ok: false, code: ordinary.ok ? '' : ordinary.code });
  });
});

describe('members of a frame', () => {
  it('are found without building their values; the last of a repeated key wins', () => {
    const text = ' { "a" : [1, {"x": "}"}] , "b":"q" ,"a":null } ';
    const spans = memberSpans(text, 8);
    expect([...spans!.keys()]).toEqual(['a', 'b']);
    expect(text.slice(spans!.get('a')!.start, spans!.get('a')!.end)).toBe('null');
    expect(text.slice(spans!.get('b')!.start, spans!.get('b')!.end)).toBe('"q"');
    expect(memberSpans('{}', 8)?.size).toBe(0);
  });

  it.each(['[]', '{"a":1', '{"a":1}x', '{"a\\u0041":1}', '{a:1}', '{"a" 1}', '{"a":1,}'])(
    'answer nothing for %s',
    (text) => {
      expect(memberSpans(text, 8)).toBeUndefined();
    },
  );
});
