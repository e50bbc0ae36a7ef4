import { describe, expect, it } from 'vitest';
import { compileFilters, filtersKey, matchesFilters } from './filters.js';
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
