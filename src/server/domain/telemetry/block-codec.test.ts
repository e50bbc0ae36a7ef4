import { describe, expect, it } from 'vitest';
import { GAP_CODE, initQuantized, quantizedBlockBytes, readCode, seedScale, writeCode } from './block-codec.js';
import { BlockPool } from './block-pool.js';
import { ByteBudget } from './byte-budget.js';

const SLOTS = 60;
const value = (s: number) => 1000 + 40 * Math.sin(s / 7) + (s % 3) / 10;
const RANGE = 80.2;

function blockOf(pool: BlockPool, chunk: number): number {
  const id = pool.alloc();
  initQuantized(pool, id, chunk, SLOTS);
  return id;
}

describe('block codec', () => {
  it('keeps a u8 code per value, a gap as a gap', () => {
    const pool = new BlockPool(quantizedBlockBytes(SLOTS, 1), new ByteBudget(1 << 20));
    expect(pool.blockBytes).toBe(88); // 24-byte header and 60 codes, 8-byte aligned
    const id = blockOf(pool, 0);
    writeCode(pool, id, SLOTS, 3, 42.5);
    expect(readCode(pool, id, 3)).toBe(42.5); // the first value is the block's base: exact
    expect(readCode(pool, id, 4)).toBeNaN();
    expect(pool.slabOf(id).u8[pool.offsetOf(id) + 24 + 4]).toBe(GAP_CODE);
  });

  it('keeps whole numbers whole while the range is under 254, and one decimal under 25.4', () => {
    const pool = new BlockPool(quantizedBlockBytes(SLOTS, 1), new ByteBudget(1 << 20));
    const whole = blockOf(pool, 0);
    const tenths = blockOf(pool, 1);
    for (let s = 0; s < SLOTS; s++) {
      writeCode(pool, whole, SLOTS, s, 500 + ((s * 37) % 200));
      writeCode(pool, tenths, SLOTS, s, -3 + ((s * 37) % 200) / 10);
    }
    for (let s = 0; s < SLOTS; s++) {
      expect(readCode(pool, whole, s)).toBe(500 + ((s * 37) % 200));
      expect(readCode(pool, tenths, s)).toBe((-30 + ((s * 37) % 200)) / 10);
    }
  });

  it("seeds a new chunk's scale from the previous chunk, so a steady series keeps 1/254 of its range", () => {
    const pool = new BlockPool(quantizedBlockBytes(SLOTS, 1), new ByteBudget(1 << 20));
    const first = blockOf(pool, 0);
    for (let s = 0; s < SLOTS; s++) writeCode(pool, first, SLOTS, s, value(s));
    const second = blockOf(pool, 1);
    seedScale(pool, second, pool, first, SLOTS);
    for (let s = 0; s < SLOTS; s++) writeCode(pool, second, SLOTS, s, value(s));
    const quantum = (RANGE * (1 + 2 / 16)) / 254; // the seeded span: the range and a margin either side
    const error = (id: number) =>
      Math.max(...Array.from({ length: SLOTS }, (_, s) => Math.abs(readCode(pool, id, s) - value(s))));
    expect(error(second)).toBeLessThanOrEqual(quantum);
    // Unseeded, the first chunk widened its scale as the values came (and rounded its codes again).
    expect(error(first)).toBeGreaterThan(error(second));
  });
});
