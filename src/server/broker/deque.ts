/**
 * A double-ended queue on a ring buffer that grows and shrinks with its content: O(1) push at the
 * back, shift at the front and access by index. A channel's history lives in one, so a channel
 * holding one message costs a few slots, not `historySize` of them.
 *
 * Hand-written rather than a dependency: it is ~60 lines, on the hot path of every publish, and
 * needs index access (seqs are contiguous, so "messages after seq s" is an index computation).
 */
const MIN_CAPACITY = 4;

export class Deque<T> {
  #items: (T | undefined)[] = new Array<T | undefined>(MIN_CAPACITY);
  #head = 0;
  #length = 0;

  get length(): number {
    return this.#length;
  }

  /** The item at `index` from the front (0 = oldest), or undefined outside the deque. */
  at(index: number): T | undefined {
    if (index < 0 || index >= this.#length) return undefined;
    return this.#items[(this.#head + index) & (this.#items.length - 1)];
  }

  push(item: T): void {
    if (this.#length === this.#items.length) this.#resize(this.#items.length * 2);
    this.#items[(this.#head + this.#length) & (this.#items.length - 1)] = item;
    this.#length++;
  }

  shift(): T | undefined {
    if (this.#length === 0) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) & (this.#items.length - 1);
    this.#length--;
    // Give memory back once the deque is mostly empty (a burst must not pin a large array).
    if (this.#items.length > MIN_CAPACITY && this.#length <= this.#items.length / 4)
      this.#resize(this.#items.length / 2);
    return item;
  }

  /** Index of the first item for which `isAfter` holds, given it holds for every later item too. */
  firstIndexWhere(isAfter: (item: T) => boolean): number {
    let low = 0;
    let high = this.#length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (isAfter(this.at(middle)!)) high = middle;
      else low = middle + 1;
    }
    return low;
  }

  #resize(capacity: number): void {
    const items = new Array<T | undefined>(capacity);
    for (let i = 0; i < this.#length; i++) items[i] = this.at(i);
    this.#items = items;
    this.#head = 0;
  }
}
