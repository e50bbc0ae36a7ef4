import { describe, expect, it } from 'vitest';
import { describeFilters, parseFilters } from './parse-filters';

describe('parseFilters', () => {
  it('treats blank and {} as "no filters"', () => {
    expect(parseFilters('')).toEqual({ ok: true, filters: undefined });
    expect(parseFilters('  {} ')).toEqual({ ok: true, filters: undefined });
  });

  it('accepts scalars and arrays of scalars', () => {
    expect(parseFilters('{"agent_id":["a","b"],"ok":true,"n":2}')).toEqual({
      ok: true,
      filters: { agent_id: ['a', 'b'], ok: true, n: 2 },
    });
  });

  it.each([
    ['{"a":', /^Invalid JSON/],
    ['"text"', /^Filters must be a JSON object/],
    ['[1]', /^Filters must be a JSON object/],
    ['null', /^Filters must be a JSON object/],
    ['{"a":{"b":1}}', /^Invalid filters: a:/],
    ['{"a":[]}', /^Invalid filters/],
    ['{"__proto__":1}', /^Invalid filters/],
    [JSON.stringify(Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, i]))), /at most 16 filter keys/],
  ])('refuses %s', (text, message) => {
    const parsed = parseFilters(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(message);
  });
});

describe('describeFilters', () => {
  it('is compact JSON, or "all messages" without filters', () => {
    expect(describeFilters(undefined)).toBe('all messages');
    expect(describeFilters({})).toBe('all messages');
    expect(describeFilters({ a: [1, 2] })).toBe('{"a":[1,2]}');
  });
});
