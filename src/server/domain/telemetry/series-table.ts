/**
 * Every series (one agent's one metric) as a row of a few columns, struct-of-arrays, so a series
 * costs its numbers and no object: the open bucket of each step (sum, count, min, max, last), the
 * block ids of each step's ring, its metric and its agent. Rows are reused after a series leaves;
 * the columns grow by half when full (their bytes reserved from the budget).
 */
import type { ByteBudget } from './byte-budget.js';
import { POSITIONS_PER_SERIES, STEPS } from './steps.js';

/** Fields of an open bucket. */
export const Acc = { Sum: 0, Count: 1, Min: 2, Max: 3, Last: 4 } as const;
const ACC_FIELDS = 5;
export const ACC_PER_SERIES = STEPS.length * ACC_FIELDS;
const INITIAL_ROWS = 256;

/**
 * What one row costs: its columns, and its share of what grows with the rows elsewhere (an entry
 * in each step's list of rows to close, and of each step's close scratch: eleven 4- or 8-byte numbers).
 */
export const ROW_BYTES = ACC_PER_SERIES * 8 + POSITIONS_PER_SERIES * 4 + 3 * 4 + 1 + STEPS.length * (4 + 68);

export class SeriesTable {
  acc = new Float64Array(0);
  /** Block id per ring position of every step (-1: none). */
  positions = new Int32Array(0);
  metricOf = new Int32Array(0);
  agentOf = new Int32Array(0);
  /** Bumped each time a row is given to a series or given back: what a close took from a series that left since is told apart. */
  generation = new Uint32Array(0);
  /** Bit `step` set while the row is on that step's list of rows to close (kept across `remove`/`add`). */
  listed = new Uint8Array(0);
  #rows = 0;
  #next = 0;
  readonly #free: number[] = [];

  constructor(private readonly budget: ByteBudget) {}

  get bytes(): number {
    return this.#rows * ROW_BYTES;
  }

  /** Rows in use. */
  get size(): number {
    return this.#next - this.#free.length;
  }

  /** A fresh row for a series of `metric` and `agent`, or -1 when the budget cannot grow the table. */
  add(metric: number, agent: number): number {
    let row = this.#free.pop();
    if (row === undefined) {
      if (this.#next === this.#rows && !this.#grow()) return -1;
      row = this.#next++;
    }
    this.metricOf[row] = metric;
    this.agentOf[row] = agent;
    this.generation[row] = this.generation[row]! + 1;
    this.acc.fill(0, row * ACC_PER_SERIES, (row + 1) * ACC_PER_SERIES);
    this.positions.fill(-1, row * POSITIONS_PER_SERIES, (row + 1) * POSITIONS_PER_SERIES);
    return row;
  }

  /** Releases a row whose blocks were given back already. */
  remove(row: number): void {
    this.acc.fill(0, row * ACC_PER_SERIES, (row + 1) * ACC_PER_SERIES);
    this.metricOf[row] = -1;
    this.agentOf[row] = -1;
    this.generation[row] = this.generation[row]! + 1;
    this.#free.push(row);
  }

  /**
   * Adds a value to the open bucket of the finest step; the coarser steps get it when that bucket
   * closes (`fold`), so their closes may run later than their bucket's end without a newer value
   * slipping into them.
   */
  accumulate(row: number, value: number): void {
    const acc = this.acc;
    const at = row * ACC_PER_SERIES;
    if (acc[at + Acc.Count] === 0) {
      acc[at + Acc.Min] = value;
      acc[at + Acc.Max] = value;
    } else {
      if (value < acc[at + Acc.Min]!) acc[at + Acc.Min] = value;
      if (value > acc[at + Acc.Max]!) acc[at + Acc.Max] = value;
    }
    acc[at + Acc.Sum] = acc[at + Acc.Sum]! + value;
    acc[at + Acc.Count] = acc[at + Acc.Count]! + 1;
    acc[at + Acc.Last] = value;
  }

  /** Adds the open bucket of the finest step (closing) to the open buckets of the coarser ones. */
  fold(row: number): void {
    const acc = this.acc;
    const from = row * ACC_PER_SERIES;
    const count = acc[from + Acc.Count]!;
    if (count === 0) return;
    for (let s = 1, at = from + ACC_FIELDS; s < STEPS.length; s++, at += ACC_FIELDS) {
      if (acc[at + Acc.Count] === 0) {
        acc[at + Acc.Min] = acc[from + Acc.Min]!;
        acc[at + Acc.Max] = acc[from + Acc.Max]!;
      } else {
        if (acc[from + Acc.Min]! < acc[at + Acc.Min]!) acc[at + Acc.Min] = acc[from + Acc.Min]!;
        if (acc[from + Acc.Max]! > acc[at + Acc.Max]!) acc[at + Acc.Max] = acc[from + Acc.Max]!;
      }
      acc[at + Acc.Sum] = acc[at + Acc.Sum]! + acc[from + Acc.Sum]!;
      acc[at + Acc.Count] = acc[at + Acc.Count]! + count;
      acc[at + Acc.Last] = acc[from + Acc.Last]!;
    }
  }

  /** Index in `acc` of the open bucket of `step` of `row`. */
  accAt(row: number, step: number): number {
    return row * ACC_PER_SERIES + step * ACC_FIELDS;
  }

  #grow(): boolean {
    // By half, not double: at 60,000 series a doubling would ask for 26 MB of rows at once.
    const rows = Math.max(INITIAL_ROWS, Math.ceil(this.#rows * 1.5));
    if (!this.budget.tryReserve((rows - this.#rows) * ROW_BYTES)) return false;
    this.acc = grown(this.acc, rows * ACC_PER_SERIES, 0);
    this.positions = grown(this.positions, rows * POSITIONS_PER_SERIES, -1);
    this.metricOf = grown(this.metricOf, rows, -1);
    this.agentOf = grown(this.agentOf, rows, -1);
    this.generation = grown(this.generation, rows, 0);
    this.listed = grown(this.listed, rows, 0);
    this.#rows = rows;
    return true;
  }
}

function grown<T extends Float64Array | Int32Array | Uint32Array | Uint8Array>(
  old: T,
  length: number,
  fill: number,
): T {
  const next = new (old.constructor as new (length: number) => T)(length);
  next.set(old);
  next.fill(fill, old.length);
  return next;
}
