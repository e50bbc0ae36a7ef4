/**
 * How a block stores its buckets.
 *
 * Agent series are quantized: each value is a u16 code on the block's own scale, `base + code *
 * scale` (the block's header holds `base` and `scale` as f64), so a value costs 2 bytes and keeps
 * about 1/65,534 of its block's value range (a minute of one agent's metric for a 1 s block): far
 * finer than a chart's pixel, and exact for the block's lowest value. The scale starts narrow and
 * widens (the codes already written re-encoded) when a value falls outside it. Code 0xFFFF is an
 * empty bucket (a gap). Narrow blocks hold one column (the value of single-sample buckets: avg =
 * min = max = last); wide blocks four: avg, min, max, last.
 *
 * Fleet blocks are f32 columns min, median, max, agents (NaN: no bucket), unquantized: there are
 * few of them, and `agents` must stay an exact count.
 */
import { HEADER_BYTES, type BlockPool } from './block-pool.js';
import { CHUNK_SLOTS } from './steps.js';

export const GAP_CODE = 0xffff;
const MAX_CODE = 0xfffe;
/** A new block's first scale spans this fraction of its first value (finer than an f32 at first). */
const INITIAL_SPAN_FRACTION = 1 / 1024;
const MIN_SPAN = 1e-9;
/** Values are clamped here, so a span never overflows to Infinity. */
const LARGEST_VALUE = 1e300;

/** Column order in wide and fleet blocks. */
export const Column = { Avg: 0, Min: 1, Max: 2, Last: 3 } as const;
export const FleetColumn = { Min: 0, Median: 1, Max: 2, Agents: 3 } as const;

const HEADER_U16 = HEADER_BYTES / 2;
/** Codes of a wide block: four per bucket. */
const CHUNK_WIDE_CODES = CHUNK_SLOTS * 4;
const HEADER_F32 = HEADER_BYTES / 4;

/** Bytes of a quantized block of `slots` buckets of `columns` columns. */
export const quantizedBlockBytes = (slots: number, columns: number) => align8(HEADER_BYTES + slots * columns * 2);
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
  const start = offset / 2 + HEADER_U16;
  slab.u16.fill(GAP_CODE, start, start + codes);
}

/** Writes `value` as code `index` of block `id` (`codes`: the block's number of codes). */
export function writeCode(pool: BlockPool, id: number, codes: number, index: number, value: number): void {
  const v = clamp(value);
  ensureRange(pool, id, codes, v, v);
  const slab = pool.slabOf(id);
  const offset = pool.offsetOf(id);
  slab.u16[offset / 2 + HEADER_U16 + index] = encode(v, slab.f64[offset / 8 + 1]!, slab.f64[offset / 8 + 2]!);
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
  const at = offset / 2 + HEADER_U16 + slot * 4;
  slab.u16[at + Column.Avg] = encode(clamp(avg), base, scale);
  slab.u16[at + Column.Min] = encode(lo, base, scale);
  slab.u16[at + Column.Max] = encode(hi, base, scale);
  slab.u16[at + Column.Last] = encode(clamp(last), base, scale);
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
    slab.f64[f + 1] = lo;
    slab.f64[f + 2] = Math.max(hi - lo, Math.abs(lo) * INITIAL_SPAN_FRACTION, MIN_SPAN) / MAX_CODE;
    return;
  }
  const top = base + MAX_CODE * scale;
  if (lo >= base && hi <= top) return;
  // Twice what is needed on the growing side, so a drifting series rescales a few times per block.
  const span = Math.max(hi, top) - Math.min(lo, base);
  const newBase = lo < base ? Math.min(lo, base) - span : base;
  const newTop = hi > top ? Math.max(hi, top) + span : top;
  const newScale = (newTop - newBase) / MAX_CODE;
  const start = pool.offsetOf(id) / 2 + HEADER_U16;
  for (let i = start; i < start + codes; i++) {
    const code = slab.u16[i]!;
    if (code === GAP_CODE) continue;
    slab.u16[i] = Math.min(MAX_CODE, Math.round((base + code * scale - newBase) / newScale));
  }
  slab.f64[f + 1] = newBase;
  slab.f64[f + 2] = newScale;
}

/** The value of code `index` of block `id`, rounded to the block's precision; NaN for a gap. */
export function readCode(pool: BlockPool, id: number, index: number): number {
  const slab = pool.slabOf(id);
  const offset = pool.offsetOf(id);
  const code = slab.u16[offset / 2 + HEADER_U16 + index]!;
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
  const u16 = slab.u16;
  let codes = 0;
  let n = 0;
  for (let i = offset / 2 + HEADER_U16 + first, end = i + count * stride; i < end; i += stride) {
    const code = u16[i]!;
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
 * `value` rounded to the power of ten at or just over the block's quantum: what the block keeps is
 * no finer, and `45.2` reads back as `45.2` rather than `45.200012207`.
 */
function toQuantum(value: number, scale: number): number {
  if (scale !== roundingScale) {
    roundingScale = scale;
    const exponent = Math.ceil(Math.log10(scale));
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
