/**
 * Work that may come in thousands at once (10,000 tasks timing out in one sweep) handled a slice
 * at a time: at most `perSlice` items run together, the next slice starts only once they are done
 * and the event loop had a turn for everything else. With Redis each item is a few round trips;
 * thousands at once would queue every other client's command behind them.
 */
export class SlicedQueue<T> {
  readonly #waiting: T[] = [];
  readonly #queued = new Set<T>();
  #running = false;

  constructor(
    private readonly handle: (item: T) => Promise<void>,
    private readonly perSlice: number,
  ) {}

  /**
   * Queues `item` unless it already waits or runs. When idle, handling starts in a microtask, so
   * the items added together (one sweep) start together.
   */
  add(item: T): void {
    if (this.#queued.has(item)) return;
    this.#queued.add(item);
    this.#waiting.push(item);
    if (!this.#running) {
      this.#running = true;
      queueMicrotask(() => void this.#run());
    }
  }

  /** Items waiting or running. */
  get size(): number {
    return this.#queued.size;
  }

  async #run(): Promise<void> {
    try {
      while (this.#waiting.length > 0) {
        const slice = this.#waiting.splice(0, this.perSlice);
        // `handle` reports its own failures; one failing item does not stop the others.
        await Promise.all(
          slice.map((item) =>
            this.handle(item)
              .catch(() => {})
              .finally(() => this.#queued.delete(item)),
          ),
        );
        if (this.#waiting.length > 0) await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      this.#running = false;
    }
  }
}
