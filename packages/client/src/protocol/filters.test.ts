import { describe, expect, it } from 'vitest';
import { compileFilters, filtersByteLength, filtersKey, matchesFilters, utf8ByteLength } from './filters.js';
import { filtersSchema } from './filters-schema.js';

describe('filter matching', () => {
  it('matches everything without filters or with {}', () => {
    expect(matchesFilters(undefined, { a: 1 })).toBe(true);
    expect(matchesFilters({}, 'not an object')).toBe(true);
  });

  it('requires strict JSON equality for scalars', () => {
    expect(matchesFilters({ n: 2 }, { n: 2 })).toBe(true);
    expect(matchesFilters({ n: 2 }, { n: '2' })).toBe(false);
    expect(matchesFilters({ n: '2' }, { n: 2 })).toBe(false);
    expect(matchesFilters({ b: true }, { b: 'true' })).toBe(false);
    expect(matchesFilters({ b: false }, { b: 0 })).toBe(false);
  });

  it('treats arrays as "any of", still strictly typed', () => {
    const match = compileFilters({ agent_id: ['a1', 'a2'], level: [1, 2] });
    expect(match({ agent_id: 'a2', level: 1 })).toBe(true);
    expect(match({ agent_id: 'a3', level: 1 })).toBe(false);
    expect(match({ agent_id: 'a1', level: '1' })).toBe(false);
  });

  it('long "any of" arrays (searched, not scanned) keep strict typed equality', () => {
    const values = [
      ...Array.from({ length: 100 }, (_, i) => i),
      ...Array.from({ length: 100 }, (_, i) => `${i}`),
      true,
      -0,
      1.5,
      'zz',
    ];
    const match = compileFilters({ v: values });
    for (const hit of [0, 99, '0', '99', true, 1.5, 'zz', -0]) expect(match({ v: hit }), String(hit)).toBe(true);
    for (const miss of [100, '100', false, 'true', 2.5, 'z', null, [1], { v: 1 }]) {
      expect(match({ v: miss }), JSON.stringify(miss)).toBe(false);
    }
  });

  it('requires every key (AND) and the key to be present', () => {
    const match = compileFilters({ a: 1, b: 'x' });
    expect(match({ a: 1, b: 'x', c: 3 })).toBe(true);
    expect(match({ a: 1 })).toBe(false);
    expect(match({ b: 'x' })).toBe(false);
  });

  it('never matches a payload that is not an object', () => {
    for (const payload of [null, 1, 'a', true, [1], ['a']]) {
      expect(matchesFilters({ a: 1 }, payload)).toBe(false);
    }
  });

  it('does not match inherited properties or nested values', () => {
    expect(matchesFilters({ toString: 'x' }, {})).toBe(false);
    expect(matchesFilters({ a: 1 }, { a: [1] })).toBe(false);
    expect(matchesFilters({ a: 1 }, { a: { v: 1 } })).toBe(false);
  });

  it('gives the same key to filters with the same meaning', () => {
    expect(filtersKey({ a: 1, b: [2, 1] })).toBe(filtersKey({ b: [1, 2, 2], a: 1 }));
    expect(filtersKey({ a: 1 })).not.toBe(filtersKey({ a: '1' }));
    expect(filtersKey(undefined)).toBe(filtersKey({}));
  });
});

describe('filter validation', () => {
  it('accepts flat scalar and array values', () => {
    expect(filtersSchema.safeParse({ a: 'x', b: 1.5, c: false, d: ['x', 2, true] }).success).toBe(true);
    expect(filtersSchema.safeParse({ a: Array.from({ length: 10 }, () => 'x'.repeat(1000)) }).success).toBe(false);
  });

  it.each([
    ['a nested object', { a: { b: 1 } }],
    ['null', { a: null }],
    ['an empty array', { a: [] }],
    ['a nested array', { a: [[1]] }],
    ['17 keys', Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, i]))],
    ['a reserved key', JSON.parse('{"__proto__": 1}')],
    ['an empty key', { '': 1 }],
    ['not an object', 'agent_id=1'],
    ['an array', [1]],
  ])('refuses %s', (_name, filters) => {
    expect(filtersSchema.safeParse(filters).success).toBe(false);
  });

  it('accepts exactly 16 keys', () => {
    expect(
      filtersSchema.safeParse(Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, i]))).success,
    ).toBe(true);
  });
});

describe('filter size', () => {
  it('counts bytes of JSON in UTF-8, not characters', () => {
    expect(utf8ByteLength('abc')).toBe(3);
    expect(utf8ByteLength('é')).toBe(2);
    expect(utf8ByteLength('€')).toBe(3);
    expect(utf8ByteLength('🙂')).toBe(4);
    expect(filtersByteLength({ a: 'é' })).toBe(Buffer.byteLength('{"a":"é"}'));
    expect(filtersByteLength(undefined)).toBe(0);
  });

  it('refuses filters over 4 KiB of UTF-8 even when they have fewer characters', () => {
    const twoByteChars = { a: 'é'.repeat(1000), b: 'é'.repeat(1000), c: 'é'.repeat(100) }; // ~2,120 characters, ~4,220 bytes
    expect(JSON.stringify(twoByteChars).length).toBeLessThan(4096);
    expect(filtersSchema.safeParse(twoByteChars).success).toBe(false);
    expect(filtersSchema.safeParse({ a: 'é'.repeat(1000) }).success).toBe(true);
  });
});
