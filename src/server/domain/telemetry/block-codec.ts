/**
 * How a block stores its buckets.
 *
 * Agent series are quantized: each value is a u8 code on the block's own scale, `base + code *
 * scale` (the block's header holds `base` and `scale` as f64), so a value costs 1 byte and keeps
 * its block's value range (a minute of one agent's metric for a 1 s block, ten minutes for 10 s,
 * an hour for 1 min) to 1/254 (1/50 at worst): about a pixel of a chart whose axis spans that
 * range. The scale's step is 1, 2 or 5 times a power of ten, so values on its grid (whole numbers
 * while the range is under 254, one decimal under 25.4, …) are kept exactly. The scale starts
 * narrow and widens (the codes already written re-encoded) when a value falls outside it. Code 0xFF is an empty bucket (a gap). Narrow blocks
 * hold one column (the value of single-sample buckets: avg = min = max = last); wide blocks four:
 * avg, min, max, last. (With u16 codes an hour of 10,000 agents × 6 metrics took 400 MB; the
 * rollups' goal is 256 MB.)
 *
 * Fleet blocks are f32 columns min, median, max, agents (NaN: no bucket), unquantized: there are
 * few of them, and `agents` must stay an exact count.
 */
import { HEADER_BYTES, type BlockPool } from './block-pool.js';
import { CHUNK_SLOTS } from './steps.js';

export const GAP_CODE = 0xff;
const MAX_CODE = 0xfe;
/** A new block's first scale spans this fraction of its first value (its second value sets the real span). */
const INITIAL_SPAN_FRACTION = 2 ** -20;
const MIN_SPAN = 1e-9;
/** Values are clamped here, so a span never overflows to Infinity. */
const LARGEST_VALUE = 1e300;

/** Column order in wide and fleet blocks. */
export const Column = { Avg: 0, Min: 1, Max: 2, Last: 3 } as const;
export const FleetColumn = { Min: 0, Median: 1, Max: 2, Agents: 3 } as const;

/** Codes of a wide block: four per bucket. */
const CHUNK_WIDE_CODES = CHUNK_SLOTS * 4;
const HEADER_F32 = HEADER_BYTES / 4;

/** Bytes of a quantized block of `slots` buckets of `columns` columns. */
export const quantizedBlockBytes = (slots: number, columns: number) => align8(HEADER_BYTES + slots * columns);
/** Bytes of a fleet block of `slots` buckets. */
export const fleetBlockBytes = (slots: number) => align8(HEADER_BYTES + slots * 4 * 4);

function align8(bytes: number): number {
  return Math.ceil(bytes / 8) * 8;
}

/** The chunk a block holds (header word 0). */
export function blockChunk(pool: BlockPool, id: number): number {
  return pool.slabOf(id).u32[pool.offsetOf(id) / 4]!;
}

/** The codec's free header word (narrow blocks: how many of their buckets overflowed). */
export function blockExtra(pool: BlockPool, id: number): number {
  return pool.slabOf(id).u32[pool.offsetOf(id) / 4 + 1]!;
}

export function setBlockExtra(pool: BlockPool, id: number, value: number): void {
  pool.slabOf(id).u32[pool.offsetOf(id) / 4 + 1] = value;
}

/** Makes `id` an empty quantized block of `chunk`: every bucket a gap, no scale yet. */
export function initQuantized(pool: BlockPool, id: number, chunk: number, codes: number): void {
  const slab = pool.slabOf(id);
  const offset = pool.offsetOf(id);
  slab.u32[offset / 4] = chunk;
  slab.u32[offset / 4 + 1] = 0;
  slab.f64[offset / 8 + 1] = NaN;
  slab.f64[offset / 8 + 2] = 0;
  const start = offset + HEADER_BYTES;
  slab.u8.fill(GAP_CODE, start, start + codes);
}

/** Margin a seeded scale leaves on either side of the range it was seeded with. */
const SEED_MARGIN = 1 / 16;

/**
 * Starts the scale of the empty block `id` from the values held by block `fromId` of `fromPool`
 * (its first `codes` codes): the same series' previous chunk, so that a series whose range holds
 * from one chunk to the next keeps its codes without rescaling (each rescale rounds them again).
 */
export function seedScale(pool: BlockPool, id: number, fromPool: BlockPool, fromId: number, codes: number): void {
  const from = fromPool.slabOf(fromId);
  const offset = fromPool.offsetOf(fromId);
  const base = from.f64[offset / 8 + 1]!;
  if (Number.isNaN(base)) return;
  let lo = GAP_CODE;
  let hi = -1;
  for (let i = offset + HEADER_BYTES, end = i + codes; i < end; i++) {
    const code = from.u8[i]!;
    if (code === GAP_CODE) continue;
    if (code < lo) lo = code;
    if (code > hi) hi = code;
  }
  if (hi < 0) return;
  const scale = from.f64[offset / 8 + 2]!;
  const span = Math.max((hi - lo) * scale, Math.abs(base + lo * scale) * INITIAL_SPAN_FRACTION, MIN_SPAN);
  const f = pool.offsetOf(id) / 8;
  setScale(pool.slabOf(id).f64, f, base + lo * scale - span * SEED_MARGIN, span * (1 + 2 * SEED_MARGIN));
}

/** Gives block `id` the scale of block `fromId` (a narrow block widened keeps its codes as they are). */
export function copyScale(pool: BlockPool, id: number, fromPool: BlockPool, fromId: number): void {
  const from = fromPool.slabOf(fromId);
  const f = fromPool.offsetOf(fromId) / 8;
  const slab = pool.slabOf(id);
  const t = pool.offsetOf(id) / 8;
  slab.f64[t + 1] = from.f64[f + 1]!;
  slab.f64[t + 2] = from.f64[f + 2]!;
}

/** Writes `value` as code `index` of block `id` (`codes`: the block's number of codes). */
export function writeCode(pool: BlockPool, id: number, codes: number, index: number, value: number): void {
  const v = clamp(value);
  ensureRange(pool, id, codes, v, v);
  const slab = pool.slabOf(id);
  const offset = pool.offsetOf(id);
  slab.u8[offset + HEADER_BYTES + index] = encode(v, slab.f64[offset / 8 + 1]!, slab.f64[offset / 8 + 2]!);
}

/** Writes one wide bucket (avg, min, max, last) at `slot`: one range check, four codes. */
export function writeWide(
  pool: BlockPool,
  id: number,
  slot: number,
  avg: number,
  min: number,
  max: number,
  last: number,
): void {
  const lo = clamp(min);
  const hi = clamp(max);
  ensureRange(pool, id, CHUNK_WIDE_CODES, Math.min(lo, avg, last), Math.max(hi, avg, last));
  const slab = pool.slabOf(id);
  const offset = pool.offsetOf(id);
  const base = slab.f64[offset / 8 + 1]!;
  const scale = slab.f64[offset / 8 + 2]!;
  const at = offset + HEADER_BYTES + slot * 4;
  slab.u8[at + Column.Avg] = encode(clamp(avg), base, scale);
  slab.u8[at + Column.Min] = encode(lo, base, scale);
  slab.u8[at + Column.Max] = encode(hi, base, scale);
  slab.u8[at + Column.Last] = encode(clamp(last), base, scale);
}

function encode(value: number, base: number, scale: number): number {
  const code = Math.round((value - base) / scale);
  return code < 0 ? 0 : code > MAX_CODE ? MAX_CODE : code;
}

/** Widens the block's scale so that `[lo, hi]` fits; the codes written so far are re-encoded. */
export function ensureRange(pool: BlockPool, id: number, codes: number, lo: number, hi: number): void {
  const slab = pool.slabOf(id);
  const f = pool.offsetOf(id) / 8;
  const base = slab.f64[f + 1]!;
  const scale = slab.f64[f + 2]!;
  if (Number.isNaN(base)) {
    setScale(slab.f64, f, lo, Math.max(hi - lo, Math.abs(lo) * INITIAL_SPAN_FRACTION, MIN_SPAN));
    return;
  }
  const top = base + MAX_CODE * scale;
  if (lo >= base && hi <= top) return;
  // Half as much again on the growing side, so a drifting series rescales a few times per block.
  const span = Math.max(hi, top) - Math.min(lo, base);
  const newBase = lo < base ? Math.min(lo, base) - span / 2 : base;
  const newTop = hi > top ? Math.max(hi, top) + span / 2 : top;
  setScale(slab.f64, f, newBase, newTop - newBase);
  const [gridBase, gridScale] = [slab.f64[f + 1]!, slab.f64[f + 2]!];
  const start = pool.offsetOf(id) + HEADER_BYTES;
  for (let i = start; i < start + codes; i++) {
    const code = slab.u8[i]!;
    if (code === GAP_CODE) continue;
    slab.u8[i] = Math.min(MAX_CODE, Math.round((base + code * scale - gridBase) / gridScale));
  }
}

/**
 * Sets a block's scale (header f64 words `f + 1`, `f + 2`) to cover `[lo, lo + span]`: the step is
 * the smallest of 1, 2 or 5 times a power of ten that covers it in `MAX_CODE` steps, and the base a
 * multiple of it, so values on that grid (whole numbers, one decimal…) are kept exactly.
 */
function setScale(f64: Float64Array, f: number, lo: number, span: number): void {
  let power = 10 ** Math.floor(Math.log10(span / MAX_CODE));
  for (;;) {
    for (const mantissa of [1, 2, 5]) {
      const scale = mantissa * power;
      const base = Math.floor(lo / scale) * scale;
      if (base + MAX_CODE * scale < lo + span) continue;
      f64[f + 1] = base;
      f64[f + 2] = scale;
      return;
    }
    power *= 10;
  }
}

/** The value of code `index` of block `id`, rounded to the block's precision; NaN for a gap. */
export function readCode(pool: BlockPool, id: number, index: number): number {
  const slab = pool.slabOf(id);
  const offset = pool.offsetOf(id);
  const code = slab.u8[offset + HEADER_BYTES + index]!;
  if (code === GAP_CODE) return NaN;
  const scale = slab.f64[offset / 8 + 2]!;
  const value = slab.f64[offset / 8 + 1]! + code * scale;
  return toQuantum(value, scale);
}

/**
 * Adds the codes `first, first + stride, …` (up to `count` of them, gaps skipped) of block `id`,
 * decoded, to `total` (`total[0]` the sum, `total[1]` how many): a scan of one column of a chunk
 * with one block lookup.
 */
export function sumCodes(
  pool: BlockPool,
  id: number,
  first: number,
  stride: number,
  count: number,
  total: Float64Array,
): void {
  const slab = pool.slabOf(id);
  const offset = pool.offsetOf(id);
  const base = slab.f64[offset / 8 + 1]!;
  const scale = slab.f64[offset / 8 + 2]!;
  const u8 = slab.u8;
  let codes = 0;
  let n = 0;
  for (let i = offset + HEADER_BYTES + first, end = i + count * stride; i < end; i += stride) {
    const code = u8[i]!;
    if (code === GAP_CODE) continue;
    codes += code;
    n++;
  }
  total[0] = total[0]! + n * base + codes * scale;
  total[1] = total[1]! + n;
}

/** The rounding of the last scale seen: reads come block by block, so this mostly hits. */
let roundingScale = NaN;
let roundingStep = 1;
let roundingInverse = 1;

/**
 * `value` rounded to the power of ten at or just under the block's quantum: what the block keeps
 * is hardly finer, rounding adds at most half a quantum, and the answer's JSON stays short
 * (`45.2`, not `45.2000122`).
 */
function toQuantum(value: number, scale: number): number {
  if (scale !== roundingScale) {
    roundingScale = scale;
    const exponent = Math.floor(Math.log10(scale));
    roundingStep = exponent >= 0 ? 10 ** exponent : 1;
    roundingInverse = exponent < 0 ? 10 ** -exponent : 1;
  }
  // Dividing by a power of ten (not multiplying by its inverse) gives the nearest double: 45.2, not 45.2000000001.
  return roundingInverse > 1
    ? Math.round(value * roundingInverse) / roundingInverse
    : Math.round(value / roundingStep) * roundingStep;
}

/** Makes `id` an empty fleet block of `chunk`. */
export function initFleet(pool: BlockPool, id: number, chunk: number, slots: number): void {
  const slab = pool.slabOf(id);
  const offset = pool.offsetOf(id);
  slab.u32[offset / 4] = chunk;
  const start = offset / 4 + HEADER_F32;
  slab.f32.fill(NaN, start, start + slots * 4);
}

/** Writes a fleet bucket (min, median, max, agents) at `slot`. */
export function writeFleet(pool: BlockPool, id: number, slot: number, values: ArrayLike<number>): void {
  const slab = pool.slabOf(id);
  const start = pool.offsetOf(id) / 4 + HEADER_F32 + slot * 4;
  for (let c = 0; c < 4; c++) slab.f32[start + c] = values[c]!;
}

/** Reads the fleet bucket at `slot` into `out`; false for a gap. */
export function readFleet(pool: BlockPool, id: number, slot: number, out: Float64Array): boolean {
  const slab = pool.slabOf(id);
  const start = pool.offsetOf(id) / 4 + HEADER_F32 + slot * 4;
  for (let c = 0; c < 4; c++) out[c] = slab.f32[start + c]!;
  return !Number.isNaN(out[FleetColumn.Agents]!);
}

function clamp(value: number): number {
  return value > LARGEST_VALUE ? LARGEST_VALUE : value < -LARGEST_VALUE ? -LARGEST_VALUE : value;
}
