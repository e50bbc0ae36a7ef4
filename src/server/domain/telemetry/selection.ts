/**
 * Order statistics without a full sort: the fleet median of 10,000 agents' bucket averages by
 * quickselect (Hoare's FIND, expected linear time), and the few largest values by a small
 * insertion-ordered list.
 */

/**
 * The `k`-th smallest (0-based) of `values[from, to)`; reorders that range in place.
 * Median-of-three pivots keep sorted input linear.
 */
export function selectKth(values: Float64Array, from: number, to: number, k: number): number {
  let lo = from;
  let hi = to - 1;
  const target = from + k;
  while (lo < hi) {
    const pivot = medianOfThree(values[lo]!, values[(lo + hi) >>> 1]!, values[hi]!);
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i]! < pivot) i++;
      while (values[j]! > pivot) j--;
      if (i <= j) {
        const swap = values[i]!;
        values[i++] = values[j]!;
        values[j--] = swap;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else break;
  }
  return values[target]!;
}

/** The median of `values[from, to)` (the mean of the two middle values for an even count); reorders the range. */
export function median(values: Float64Array, from: number, to: number): number {
  const n = to - from;
  if (n === 0) return NaN;
  const upper = selectKth(values, from, to, n >> 1);
  if (n % 2 === 1) return upper;
  // After the selection everything left of the upper middle is not larger: the lower middle is their max.
  let lower = -Infinity;
  for (let i = from; i < from + (n >> 1); i++) if (values[i]! > lower) lower = values[i]!;
  return (lower + upper) / 2;
}

function medianOfThree(a: number, b: number, c: number): number {
  if (a < b) return b < c ? b : a < c ? c : a;
  return a < c ? a : b < c ? c : b;
}

/**
 * The `size` largest values seen, with an id each, largest first. `offer` costs O(size) at worst
 * and nothing once the value is below the smallest kept.
 */
export class TopK {
  readonly values: Float64Array;
  readonly ids: Int32Array;
  count = 0;

  constructor(readonly size: number) {
    this.values = new Float64Array(size);
    this.ids = new Int32Array(size);
  }

  reset(): void {
    this.count = 0;
  }

  offer(id: number, value: number): void {
    if (this.count === this.size && value <= this.values[this.size - 1]!) return;
    let i = this.count < this.size ? this.count++ : this.size - 1;
    while (i > 0 && this.values[i - 1]! < value) {
      this.values[i] = this.values[i - 1]!;
      this.ids[i] = this.ids[i - 1]!;
      i--;
    }
    this.values[i] = value;
    this.ids[i] = id;
  }
}
