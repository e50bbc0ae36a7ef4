/**
 * Fixed-size blocks carved out of large slabs (`ArrayBuffer`s), so a ring chunk costs its bytes
 * and not a typed array object of its own (a small typed array costs V8 about 200 bytes besides
 * its data). A block is named by an integer id; freed blocks are reused before a new slab is
 * asked of the budget. Slabs are never given back: the budget counts them as long as they live.
 *
 * Every block starts with a 24-byte header: a u32 word `chunk` (which chunk of its ring the block
 * holds), a u32 word `extra` (free for the codec), and two f64 words (the codec's base and scale).
 */
import type { ByteBudget } from './byte-budget.js';

export const HEADER_BYTES = 24;
const SLAB_TARGET_BYTES = 64 * 1024;
/** A slab's `ArrayBuffer` and its four views, besides its bytes. */
const SLAB_OVERHEAD_BYTES = 800;

/** Views of one slab; blocks start at multiples of the pool's block size. */
interface Slab {
  readonly u8: Uint8Array;
  readonly u32: Uint32Array;
  readonly f32: Float32Array;
  readonly f64: Float64Array;
}

export class BlockPool {
  readonly blocksPerSlab: number;
  readonly slabs: Slab[] = [];
  readonly #free: number[] = [];
  #allocated = 0;

  constructor(
    /** Bytes per block, header included: a multiple of 8. */
    readonly blockBytes: number,
    private readonly budget: ByteBudget,
  ) {
    this.blocksPerSlab = Math.max(1, Math.floor(SLAB_TARGET_BYTES / blockBytes));
  }

  /** Bytes of the slabs this pool holds (as the budget counts them). */
  get bytes(): number {
    return this.slabs.length * (this.blocksPerSlab * this.blockBytes + SLAB_OVERHEAD_BYTES);
  }

  /** Blocks in use. */
  get inUse(): number {
    return this.#allocated - this.#free.length;
  }

  /** Bytes of blocks given back (by series that left) and not yet reused: room without a new slab. */
  get spareBytes(): number {
    return this.#free.length * this.blockBytes;
  }

  /** A free block's id, or -1 when none is free and the budget has no room for a new slab. */
  alloc(): number {
    const reused = this.#free.pop();
    if (reused !== undefined) return reused;
    if (this.#allocated === this.slabs.length * this.blocksPerSlab && !this.#grow()) return -1;
    return this.#allocated++;
  }

  free(id: number): void {
    this.#free.push(id);
  }

  slabOf(id: number): Slab {
    return this.slabs[Math.floor(id / this.blocksPerSlab)]!;
  }

  /** Byte offset of block `id` within its slab. */
  offsetOf(id: number): number {
    return (id % this.blocksPerSlab) * this.blockBytes;
  }

  #grow(): boolean {
    const bytes = this.blocksPerSlab * this.blockBytes;
    if (!this.budget.tryReserve(bytes + SLAB_OVERHEAD_BYTES)) return false;
    const buffer = new ArrayBuffer(bytes);
    this.slabs.push({
      u8: new Uint8Array(buffer),
      u32: new Uint32Array(buffer),
      f32: new Float32Array(buffer),
      f64: new Float64Array(buffer),
    });
    return true;
  }
}
