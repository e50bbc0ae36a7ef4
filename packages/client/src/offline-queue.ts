/**
 * Frames waiting for a connection. Bounded: when full, the oldest frame is dropped to make room
 * (the newest data is usually the most useful), and the caller learns how many were dropped.
 */
export class OfflineQueue<T> {
  #items: T[] = [];

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError('capacity must be a whole number ≥ 0');
  }

  get size(): number {
    return this.#items.length;
  }

  /** Adds an item; returns the items dropped to make room (oldest first). */
  push(item: T): T[] {
    if (this.capacity === 0) return [item];
    this.#items.push(item);
    const overflow = this.#items.length - this.capacity;
    return overflow > 0 ? this.#items.splice(0, overflow) : [];
  }

  /** Removes and returns every item, oldest first. */
  drain(): T[] {
    const items = this.#items;
    this.#items = [];
    return items;
  }

  /** Removes the items matching `predicate`. */
  remove(predicate: (item: T) => boolean): void {
    this.#items = this.#items.filter((item) => !predicate(item));
  }
}
