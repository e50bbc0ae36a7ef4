/**
 * The rings of the fleet series: per metric and step, f32 blocks of (min, median, max, agents),
 * allocated by chunk like the agents' rings. Few (one per metric), never evicted to make room for
 * agents: their blocks are taken first, the agents heard from longest ago leaving for them if the
 * budget is full (and with no agent left, a fleet ring reuses its own oldest chunk).
 */
import { blockChunk, fleetBlockBytes, initFleet, readFleet, writeFleet } from './block-codec.js';
import { BlockPool } from './block-pool.js';
import type { ByteBudget } from './byte-budget.js';
import { CHUNK_SLOTS, POSITION_OFFSET, POSITIONS_PER_SERIES, STEPS } from './steps.js';

export class FleetRings {
  readonly pool: BlockPool;

  constructor(
    budget: ByteBudget,
    /** Frees room (evicts an agent) when a block cannot be had; false when nothing is left to free. */
    private readonly makeRoom: () => boolean,
  ) {
    this.pool = new BlockPool(fleetBlockBytes(CHUNK_SLOTS), budget);
  }

  /** Empty positions for a new metric. */
  createPositions(): Int32Array {
    return new Int32Array(POSITIONS_PER_SERIES).fill(-1);
  }

  /** Writes a fleet bucket (min, median, max, agents); false when no block could be had. */
  write(positions: Int32Array, step: number, bucket: number, values: ArrayLike<number>): boolean {
    const chunk = Math.floor(bucket / CHUNK_SLOTS);
    const at = POSITION_OFFSET[step]! + (chunk % STEPS[step]!.positions);
    let id = positions[at]!;
    if (id < 0 || blockChunk(this.pool, id) !== chunk) {
      if (id < 0) id = this.#alloc(positions, step);
      if (id < 0) return false;
      initFleet(this.pool, id, chunk, CHUNK_SLOTS);
      positions[at] = id;
    }
    writeFleet(this.pool, id, bucket - chunk * CHUNK_SLOTS, values);
    return true;
  }

  /** Reads the fleet bucket `bucket` into `out` (min, median, max, agents); false for a gap. */
  read(positions: Int32Array, step: number, bucket: number, out: Float64Array): boolean {
    const chunk = Math.floor(bucket / CHUNK_SLOTS);
    const id = positions[POSITION_OFFSET[step]! + (chunk % STEPS[step]!.positions)]!;
    if (id < 0 || blockChunk(this.pool, id) !== chunk) return false;
    return readFleet(this.pool, id, bucket - chunk * CHUNK_SLOTS, out);
  }

  /** Gives back every block of a metric that leaves. */
  release(positions: Int32Array): void {
    for (let at = 0; at < positions.length; at++) {
      if (positions[at]! >= 0) this.pool.free(positions[at]!);
      positions[at] = -1;
    }
  }

  /** A free or new block, else room made by agents that may leave, else this ring's own oldest chunk. */
  #alloc(positions: Int32Array, step: number): number {
    for (;;) {
      const id = this.pool.alloc();
      if (id >= 0) return id;
      if (!this.makeRoom() && !this.#freeOldestChunk(positions, step)) return -1;
    }
  }

  #freeOldestChunk(positions: Int32Array, step: number): boolean {
    let oldest = -1;
    for (let at = POSITION_OFFSET[step]!; at < POSITION_OFFSET[step]! + STEPS[step]!.positions; at++) {
      if (positions[at]! < 0) continue;
      if (oldest < 0 || blockChunk(this.pool, positions[at]!) < blockChunk(this.pool, positions[oldest]!)) oldest = at;
    }
    if (oldest < 0) return false;
    this.pool.free(positions[oldest]!);
    positions[oldest] = -1;
    return true;
  }
}
