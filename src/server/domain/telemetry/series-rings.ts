/**
 * The rings of the agent series: per series and step, ring positions (in the series table) naming
 * quantized blocks of `CHUNK_SLOTS` buckets, allocated when a chunk first gets a bucket, so an
 * hour of data costs an hour of blocks.
 *
 * 1 s blocks start narrow (one code per bucket): an agent reporting once a second puts one value
 * in each bucket, whose avg, min, max and last are that value. A bucket that got several values
 * (a report landing on either side of a second's edge) keeps its avg as its code and its min, max
 * and last in one of the block's `NARROW_OVERFLOW` entries (their slots named in the header's
 * extra word); the next such bucket widens the block to four codes per bucket. 10 s and 1 min
 * blocks are wide from the start.
 */
import {
  blockChunk,
  blockExtra,
  Column,
  copyScale,
  initQuantized,
  readCode,
  seedScale,
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
/** Multi-value buckets a narrow block keeps beside its codes before it is widened. */
const NARROW_OVERFLOW = 2;
/** A narrow block's codes: one per bucket, then min, max and last of each overflow entry. */
const NARROW_CODES = CHUNK_SLOTS + 3 * NARROW_OVERFLOW;
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

  constructor(
    private readonly table: SeriesTable,
    private readonly budget: ByteBudget,
    /** Frees room (evicts) when a block cannot be had; false when there is nothing left to free. */
    private readonly makeRoom: () => boolean,
  ) {
    this.narrow = new BlockPool(quantizedBlockBytes(NARROW_CODES, 1), budget);
    this.wide = new BlockPool(quantizedBlockBytes(CHUNK_SLOTS, 4), budget);
  }

  /** Writes the closed bucket `bucket` (bucket start / step width) of `row` at `step`; false when no room. */
  write(row: number, step: number, bucket: number, v: BucketValues, single: boolean): boolean {
    const chunk = Math.floor(bucket / CHUNK_SLOTS);
    const slot = bucket - chunk * CHUNK_SLOTS;
    const at = this.#positionAt(row, step, chunk);
    let ref = this.#blockFor(at, chunk, step === 0, this.#positionAt(row, step, chunk - 1));
    if (ref < 0) return false;
    if (!(ref & WIDE) && !single) {
      if (this.#overflowNarrow(ref, slot, v)) return true;
      ref = this.#widen(row, at, ref);
      if (ref < 0) return false;
    }
    if (ref & WIDE) writeWide(this.wide, ref & ~WIDE, slot, v.avg, v.min, v.max, v.last);
    else writeCode(this.narrow, ref, NARROW_CODES, slot, v.avg);
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
    const entry = overflowEntry(blockExtra(this.narrow, ref), slot);
    out.avg = value;
    out.min = entry < 0 ? value : readCode(this.narrow, ref, CHUNK_SLOTS + 3 * entry);
    out.max = entry < 0 ? value : readCode(this.narrow, ref, CHUNK_SLOTS + 3 * entry + 1);
    out.last = entry < 0 ? value : readCode(this.narrow, ref, CHUNK_SLOTS + 3 * entry + 2);
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

  /** Bytes of ring blocks held in slabs but free for new series (the budget counts slabs, not blocks). */
  get spareBytes(): number {
    return this.narrow.spareBytes + this.wide.spareBytes;
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

  /**
   * The block for `chunk` at position `at`: the one there (recycled if it held an older chunk) or a
   * new one, its scale seeded from the previous chunk's block (at `previousAt`) when it is held.
   */
  #blockFor(at: number, chunk: number, narrow: boolean, previousAt: number): number {
    let ref = this.table.positions[at]!;
    if (ref >= 0) {
      const wide = (ref & WIDE) !== 0;
      const id = ref & ~WIDE;
      if (blockChunk(wide ? this.wide : this.narrow, id) === chunk) return ref;
      // An older chunk that left the retention: its block is reused (emptied) for this one.
      this.#freeBlock(ref);
      this.table.positions[at] = -1;
    }
    ref = this.#allocFor(at, narrow);
    if (ref < 0) return -1;
    const pool = narrow ? this.narrow : this.wide;
    const id = ref & ~WIDE;
    initQuantized(pool, id, chunk, narrow ? NARROW_CODES : WIDE_CODES);
    const previous = this.table.positions[previousAt]!;
    if (previous >= 0) {
      const fromPool = previous & WIDE ? this.wide : this.narrow;
      const fromId = previous & ~WIDE;
      if (blockChunk(fromPool, fromId) === chunk - 1)
        seedScale(pool, id, fromPool, fromId, previous & WIDE ? WIDE_CODES : NARROW_CODES);
    }
    this.table.positions[at] = ref;
    return ref;
  }

  /**
   * A new block for position `at` (a wide ref unless `narrow`): a free or new one, else room made
   * by the agents that may leave, else the block of this series' own oldest chunk of the step.
   */
  #allocFor(at: number, narrow: boolean): number {
    const pool = narrow ? this.narrow : this.wide;
    for (let tries = 0; tries < STEPS[STEPS.length - 1]!.positions; tries++) {
      const id = this.#alloc(pool);
      if (id >= 0) return narrow ? id : id | WIDE;
      if (!this.#freeOldestChunk(at)) return -1;
    }
    return -1;
  }

  /** Frees the block of the oldest chunk held in the ring of position `at` (not `at` itself); false when none. */
  #freeOldestChunk(at: number): boolean {
    const step = STEPS.findLastIndex((_, s) => at % POSITIONS_PER_SERIES >= POSITION_OFFSET[s]!);
    const first = at - (at % POSITIONS_PER_SERIES) + POSITION_OFFSET[step]!;
    let oldest = -1;
    let oldestChunk = Infinity;
    for (let p = first; p < first + STEPS[step]!.positions; p++) {
      const ref = this.table.positions[p]!;
      if (p === at || ref < 0) continue;
      const chunk = blockChunk(ref & WIDE ? this.wide : this.narrow, ref & ~WIDE);
      if (chunk < oldestChunk) [oldest, oldestChunk] = [p, chunk];
    }
    if (oldest < 0) return false;
    this.#freeBlock(this.table.positions[oldest]!);
    this.table.positions[oldest] = -1;
    return true;
  }

  #alloc(pool: BlockPool): number {
    for (;;) {
      const id = pool.alloc();
      if (id >= 0 || !this.makeRoom()) return id;
    }
  }

  /** Keeps a multi-value bucket in a narrow block (avg as its code, the rest in an entry); false when full. */
  #overflowNarrow(id: number, slot: number, v: BucketValues): boolean {
    const used = blockExtra(this.narrow, id);
    let entry = overflowEntry(used, slot);
    if (entry < 0) entry = overflowEntry(used, -1);
    if (entry < 0) return false;
    setBlockExtra(this.narrow, id, used | ((slot + 1) << (8 * entry)));
    writeCode(this.narrow, id, NARROW_CODES, slot, v.avg);
    writeCode(this.narrow, id, NARROW_CODES, CHUNK_SLOTS + 3 * entry, v.min);
    writeCode(this.narrow, id, NARROW_CODES, CHUNK_SLOTS + 3 * entry + 1, v.max);
    writeCode(this.narrow, id, NARROW_CODES, CHUNK_SLOTS + 3 * entry + 2, v.last);
    return true;
  }

  /** Copies a narrow block into a new wide one at position `at`; the wide ref, or -1. */
  #widen(row: number, at: number, narrowId: number): number {
    const ref = this.#allocFor(at, false);
    if (ref < 0) return -1;
    const id = ref & ~WIDE;
    // The narrow block may have been evicted while making room: then there is nothing to copy.
    if (this.table.positions[at] !== narrowId) return -1;
    const chunk = blockChunk(this.narrow, narrowId);
    initQuantized(this.wide, id, chunk, WIDE_CODES);
    copyScale(this.wide, id, this.narrow, narrowId);
    const v: BucketValues = { avg: 0, min: 0, max: 0, last: 0 };
    for (let slot = 0; slot < CHUNK_SLOTS; slot++) {
      if (this.read(row, 0, chunk * CHUNK_SLOTS + slot, v)) writeWide(this.wide, id, slot, v.avg, v.min, v.max, v.last);
    }
    this.#freeBlock(narrowId);
    this.table.positions[at] = id | WIDE;
    return id | WIDE;
  }

  #freeBlock(ref: number): void {
    if (ref & WIDE) this.wide.free(ref & ~WIDE);
    else this.narrow.free(ref);
  }
}

/** The overflow entry (0 or 1) of a narrow block holding `slot` (-1: a free entry), or -1 when none. */
function overflowEntry(used: number, slot: number): number {
  for (let entry = 0; entry < NARROW_OVERFLOW; entry++) if (((used >>> (8 * entry)) & 0xff) === slot + 1) return entry;
  return -1;
}
