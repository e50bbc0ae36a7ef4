/**
 * The rings of the agent series: per series and step, ring positions (in the series table) naming
 * quantized blocks of `CHUNK_SLOTS` buckets, allocated when a chunk first gets a bucket, so an
 * hour of data costs an hour of blocks.
 *
 * 1 s blocks start narrow (one code per bucket): an agent reporting once a second puts one value
 * in each bucket, whose avg, min, max and last are that value. A bucket that got several values
 * keeps its avg in the narrow block and its min, max and last beside it (`#overflow`), until a
 * block has `MAX_OVERFLOW` such buckets: then it is widened to four codes per bucket. 10 s and
 * 1 min blocks are wide from the start.
 */
import {
  blockChunk,
  blockExtra,
  Column,
  initQuantized,
  readCode,
  setBlockExtra,
  sumCodes,
  writeCode,
  writeWide,
} from './block-codec.js';
import { quantizedBlockBytes } from './block-codec.js';
import { BlockPool } from './block-pool.js';
import type { ByteBudget } from './byte-budget.js';
import type { SeriesTable } from './series-table.js';
import { CHUNK_SLOTS, POSITION_OFFSET, POSITIONS_PER_SERIES, STEPS } from './steps.js';

const WIDE = 1 << 30;
const MAX_OVERFLOW = 4;
/** What one overflow entry costs (a Map entry, its share of the table, a 3-number array). */
const OVERFLOW_ENTRY_BYTES = 160;
const WIDE_CODES = CHUNK_SLOTS * 4;

/** A closed bucket of one series. */
export interface BucketValues {
  avg: number;
  min: number;
  max: number;
  last: number;
}

export class SeriesRings {
  readonly narrow: BlockPool;
  readonly wide: BlockPool;
  /** Min, max and last of the multi-value buckets of narrow blocks, by `block * CHUNK_SLOTS + slot`. */
  readonly #overflow = new Map<number, [number, number, number]>();

  constructor(
    private readonly table: SeriesTable,
    private readonly budget: ByteBudget,
    /** Frees room (evicts) when a block cannot be had; false when there is nothing left to free. */
    private readonly makeRoom: () => boolean,
  ) {
    this.narrow = new BlockPool(quantizedBlockBytes(CHUNK_SLOTS, 1), budget);
    this.wide = new BlockPool(quantizedBlockBytes(CHUNK_SLOTS, 4), budget);
  }

  /** Writes the closed bucket `bucket` (bucket start / step width) of `row` at `step`; false when no room. */
  write(row: number, step: number, bucket: number, v: BucketValues, single: boolean): boolean {
    const chunk = Math.floor(bucket / CHUNK_SLOTS);
    const slot = bucket - chunk * CHUNK_SLOTS;
    const at = this.#positionAt(row, step, chunk);
    let ref = this.#blockFor(at, chunk, step === 0);
    if (ref < 0) return false;
    if (!(ref & WIDE) && !single) {
      if (blockExtra(this.narrow, ref) < MAX_OVERFLOW) {
        this.#overflowNarrow(ref, slot, v);
        return true;
      }
      ref = this.#widen(at, ref);
      if (ref < 0) return false;
    }
    if (ref & WIDE) {
      const id = ref & ~WIDE;
      this.#writeWide(id, slot, v);
    } else writeCode(this.narrow, ref, CHUNK_SLOTS, slot, v.avg);
    return true;
  }

  /** Reads bucket `bucket` of `row` at `step` into `out`; false when it is a gap. */
  read(row: number, step: number, bucket: number, out: BucketValues): boolean {
    const chunk = Math.floor(bucket / CHUNK_SLOTS);
    const slot = bucket - chunk * CHUNK_SLOTS;
    const ref = this.table.positions[this.#positionAt(row, step, chunk)]!;
    if (ref < 0) return false;
    if (ref & WIDE) {
      const id = ref & ~WIDE;
      if (blockChunk(this.wide, id) !== chunk) return false;
      out.avg = readCode(this.wide, id, slot * 4 + Column.Avg);
      out.min = readCode(this.wide, id, slot * 4 + Column.Min);
      out.max = readCode(this.wide, id, slot * 4 + Column.Max);
      out.last = readCode(this.wide, id, slot * 4 + Column.Last);
      return !Number.isNaN(out.avg);
    }
    if (blockChunk(this.narrow, ref) !== chunk) return false;
    const value = readCode(this.narrow, ref, slot);
    if (Number.isNaN(value)) return false;
    const extra = this.#overflow.get(ref * CHUNK_SLOTS + slot);
    out.avg = value;
    out.min = extra?.[0] ?? value;
    out.max = extra?.[1] ?? value;
    out.last = extra?.[2] ?? value;
    return true;
  }

  /**
   * Adds the averages of buckets `first..last` (inclusive) of `row` at `step` to `total`
   * (`[sum, count]`), gaps skipped: a chunk at a time, one block lookup each.
   */
  sumAvgs(row: number, step: number, first: number, last: number, total: Float64Array): void {
    for (let bucket = first; bucket <= last;) {
      const chunk = Math.floor(bucket / CHUNK_SLOTS);
      const end = Math.min(last, (chunk + 1) * CHUNK_SLOTS - 1);
      const slot = bucket - chunk * CHUNK_SLOTS;
      const ref = this.table.positions[this.#positionAt(row, step, chunk)]!;
      if (ref >= 0) {
        const wide = (ref & WIDE) !== 0;
        const pool = wide ? this.wide : this.narrow;
        const id = ref & ~WIDE;
        if (blockChunk(pool, id) === chunk) {
          if (wide) sumCodes(pool, id, slot * 4 + Column.Avg, 4, end - bucket + 1, total);
          else sumCodes(pool, id, slot, 1, end - bucket + 1, total);
        }
      }
      bucket = end + 1;
    }
  }

  /** Whether the chunk holding `bucket` of `row` at `step` is held (a quick skip of whole chunks). */
  holdsChunk(row: number, step: number, chunk: number): boolean {
    const ref = this.table.positions[this.#positionAt(row, step, chunk)]!;
    if (ref < 0) return false;
    return ref & WIDE ? blockChunk(this.wide, ref & ~WIDE) === chunk : blockChunk(this.narrow, ref) === chunk;
  }

  /** Gives back every block of `row`. */
  release(row: number): void {
    const first = row * POSITIONS_PER_SERIES;
    for (let at = first; at < first + POSITIONS_PER_SERIES; at++) {
      const ref = this.table.positions[at]!;
      if (ref >= 0) this.#freeBlock(ref);
      this.table.positions[at] = -1;
    }
  }

  #positionAt(row: number, step: number, chunk: number): number {
    return row * POSITIONS_PER_SERIES + POSITION_OFFSET[step]! + (chunk % STEPS[step]!.positions);
  }

  /** The block for `chunk` at position `at`: the one there (recycled if it held an older chunk) or a new one. */
  #blockFor(at: number, chunk: number, narrow: boolean): number {
    let ref = this.table.positions[at]!;
    if (ref >= 0) {
      const wide = (ref & WIDE) !== 0;
      const id = ref & ~WIDE;
      if (blockChunk(wide ? this.wide : this.narrow, id) === chunk) return ref;
      // An older chunk that left the retention: its block is reused (emptied) for this one.
      this.#freeBlock(ref);
      this.table.positions[at] = -1;
    }
    ref = narrow ? this.#alloc(this.narrow) : this.#alloc(this.wide) | WIDE; // -1 | WIDE is -1
    if (ref < 0) return -1;
    if (narrow) initQuantized(this.narrow, ref, chunk, CHUNK_SLOTS);
    else initQuantized(this.wide, ref & ~WIDE, chunk, WIDE_CODES);
    this.table.positions[at] = ref;
    return ref;
  }

  #alloc(pool: BlockPool): number {
    for (;;) {
      const id = pool.alloc();
      if (id >= 0 || !this.makeRoom()) return id;
    }
  }

  #overflowNarrow(id: number, slot: number, v: BucketValues): void {
    writeCode(this.narrow, id, CHUNK_SLOTS, slot, v.avg);
    const key = id * CHUNK_SLOTS + slot;
    if (!this.#overflow.has(key)) {
      setBlockExtra(this.narrow, id, blockExtra(this.narrow, id) + 1);
      this.budget.reserve(OVERFLOW_ENTRY_BYTES);
    }
    this.#overflow.set(key, [v.min, v.max, v.last]);
  }

  /** Copies a narrow block into a new wide one at position `at`; the wide ref, or -1. */
  #widen(at: number, narrowId: number): number {
    const id = this.#alloc(this.wide);
    if (id < 0) return -1;
    // The narrow block may have been evicted while making room: then there is nothing to copy.
    if (this.table.positions[at] !== narrowId) return -1;
    const chunk = blockChunk(this.narrow, narrowId);
    initQuantized(this.wide, id, chunk, WIDE_CODES);
    for (let slot = 0; slot < CHUNK_SLOTS; slot++) {
      const value = readCode(this.narrow, narrowId, slot);
      if (Number.isNaN(value)) continue;
      const extra = this.#overflow.get(narrowId * CHUNK_SLOTS + slot);
      this.#writeWide(id, slot, {
        avg: value,
        min: extra?.[0] ?? value,
        max: extra?.[1] ?? value,
        last: extra?.[2] ?? value,
      });
    }
    this.#freeBlock(narrowId);
    this.table.positions[at] = id | WIDE;
    return id | WIDE;
  }

  #writeWide(id: number, slot: number, v: BucketValues): void {
    writeWide(this.wide, id, slot, v.avg, v.min, v.max, v.last);
  }

  #freeBlock(ref: number): void {
    if (ref & WIDE) return this.wide.free(ref & ~WIDE);
    if (blockExtra(this.narrow, ref) > 0) {
      for (let slot = 0; slot < CHUNK_SLOTS; slot++)
        if (this.#overflow.delete(ref * CHUNK_SLOTS + slot)) this.budget.release(OVERFLOW_ENTRY_BYTES);
      setBlockExtra(this.narrow, ref, 0);
    }
    this.narrow.free(ref);
  }
}
