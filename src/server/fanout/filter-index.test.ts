import { describe, expect, it } from 'vitest';
import type { Filters } from '@nexus-realtime/client/protocol';
import { FilterIndex, planIndex } from './filter-index.js';

const values = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

function candidatesOf<T>(index: FilterIndex<T>, record: Record<string, unknown>): T[] {
  const out: T[] = [];
  index.forEachCandidate(record, (item) => out.push(item));
  return out;
}

describe('planIndex: the combinations indexed stay a small multiple of the filter', () => {
  it('indexes the widest array whole, however small its JSON (256 one-digit-ish numbers)', () => {
    const wide = Array.from({ length: 256 }, (_, i) => i);
    expect(planIndex({ n: wide, kind: 'x' })).toEqual({ keys: ['kind', 'n'], values: [['x'], wide] });
  });

  it('crosses arrays only within 64 combinations or one per 8 bytes of JSON', () => {
    // 8 × 8 = 64: both indexed.
    expect(planIndex({ a: values('a', 8), b: values('b', 8) }).keys).toEqual(['a', 'b']);
    // 16 × 16 = 256 combinations for ~340 bytes of JSON: one array is left to the full check.
    expect(planIndex({ a: values('a', 16), b: values('b', 16) }).keys).toHaveLength(1);
    // Long values make a larger filter, which may be crossed further: 16 × 16 for ~4 KB.
    const long = (prefix: string) => values(prefix.repeat(100), 16);
    expect(planIndex({ a: long('a'), b: long('b') }).keys).toEqual(['a', 'b']);
  });

  it('always indexes every single-valued key', () => {
    expect(planIndex({ z: 1, a: values('a', 256), m: ['only'] }).keys).toEqual(['a', 'm', 'z']);
  });
});

describe('FilterIndex', () => {
  it('a shape past thousands of entries (split in shards) finds, shares and deletes exactly as a small one', () => {
    const index = new FilterIndex<string>();
    const keys: (string | number | boolean)[] = [];
    // 60 subscriptions × 256 values, strings of every length, numbers (whole, fractional, negative) and booleans.
    for (let s = 0; s < 60; s++) {
      const own = Array.from({ length: 256 }, (_, i) =>
        i % 4 === 0 ? s * 1000 + i : i % 4 === 1 ? -(s * 1000 + i) / 8 : `${'x'.repeat(i % 70)}-${s}-${i}`,
      );
      keys.push(...own);
      index.add({ id: [...own, true, 'shared'] }, `sub-${s}`);
    }
    expect(index.size).toBe(60);
    for (let s = 0; s < 60; s += 7) {
      for (const i of [0, 1, 2, 3, 129, 255]) {
        const value =
          i % 4 === 0 ? s * 1000 + i : i % 4 === 1 ? -(s * 1000 + i) / 8 : `${'x'.repeat(i % 70)}-${s}-${i}`;
        expect(candidatesOf(index, { id: value }), String(value)).toEqual([`sub-${s}`]);
      }
    }
    expect(candidatesOf(index, { id: true })).toHaveLength(60);
    expect(candidatesOf(index, { id: 'shared' })).toHaveLength(60);
    expect(candidatesOf(index, { id: 'nobody' })).toEqual([]);
    for (let s = 0; s < 60; s += 2) {
      const own = keys.slice(s * 256, (s + 1) * 256);
      expect(index.delete({ id: [...own, true, 'shared'] }, `sub-${s}`)).toBe(true);
    }
    expect(candidatesOf(index, { id: keys[0]! })).toEqual([]);
    expect(candidatesOf(index, { id: keys[256]! })).toEqual(['sub-1']);
    expect(candidatesOf(index, { id: 'shared' })).toHaveLength(30);
    for (let s = 1; s < 60; s += 2)
      index.delete({ id: [...keys.slice(s * 256, (s + 1) * 256), true, 'shared'] }, `sub-${s}`);
    expect(index.size).toBe(0);
    expect(candidatesOf(index, { id: 'shared' })).toEqual([]);
  });

  it('one-key shapes are keyed by the value itself: strict types, shared entries, deletes', () => {
    const index = new FilterIndex<string>();
    index.add({ n: 2 }, 'number');
    index.add({ n: '2' }, 'string');
    index.add({ n: [2, 3] }, 'either');
    expect(candidatesOf(index, { n: 2 }).sort()).toEqual(['either', 'number']);
    expect(candidatesOf(index, { n: '2' })).toEqual(['string']);
    expect(candidatesOf(index, { n: 3 })).toEqual(['either']);
    expect(candidatesOf(index, { n: true })).toEqual([]);
    expect(index.delete({ n: 2 }, 'number')).toBe(true);
    expect(candidatesOf(index, { n: 2 })).toEqual(['either']);
    expect(index.delete({ n: [3, 2] }, 'either')).toBe(true);
    expect(candidatesOf(index, { n: 2 })).toEqual([]);
    expect(index.size).toBe(1);
  });

  it('several-key shapes: a value no such shape holds stops the walk, and ids are given back', () => {
    const index = new FilterIndex<string>();
    const filtersOf = (i: number): Filters => ({ kind: 'x', agent: [`a${i}`, `b${i}`] });
    for (let i = 0; i < 100; i++) index.add(filtersOf(i), `s${i}`);
    expect(candidatesOf(index, { kind: 'x', agent: 'b42' })).toEqual(['s42']);
    expect(candidatesOf(index, { kind: 'x', agent: 'nobody' })).toEqual([]);
    expect(candidatesOf(index, { kind: 'y', agent: 'a1' })).toEqual([]);
    for (let i = 0; i < 100; i++) expect(index.delete(filtersOf(i), `s${i}`)).toBe(true);
    expect(index.size).toBe(0);
    // Fresh values after the old ones were released still index correctly (ids reused).
    index.add({ kind: 'z', agent: ['c1', 'c2'] }, 'again');
    expect(candidatesOf(index, { kind: 'z', agent: 'c2' })).toEqual(['again']);
    expect(candidatesOf(index, { kind: 'x', agent: 'a1' })).toEqual([]);
  });

  it('many items on one entry, removed in any order', () => {
    const index = new FilterIndex<number>();
    for (let i = 0; i < 50; i++) index.add({ a_kind: 'x', zone: 'eu' }, i);
    expect(candidatesOf(index, { a_kind: 'x', zone: 'eu' })).toHaveLength(50);
    for (let i = 49; i >= 1; i--) expect(index.delete({ zone: 'eu', a_kind: 'x' }, i)).toBe(true);
    expect(candidatesOf(index, { a_kind: 'x', zone: 'eu' })).toEqual([0]);
    expect(index.delete({ a_kind: 'x', zone: 'eu' }, 7)).toBe(false);
  });
});
