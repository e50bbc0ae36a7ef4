/**
 * At most `size` large publishes on their way to Redis at once; the next waits its turn (in
 * order). Redis runs the commands one connection sent back to back, so eight publishers with
 * bursts of megabytes could otherwise queue a hundred 1 MB scripts ahead of everyone else's
 * small command; with a short window, other clients' commands are served between them.
 */
export class BulkWindow {
  #inFlight = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(private readonly size: number) {}

  async run<T>(send: () => Promise<T>): Promise<T> {
    if (this.#inFlight >= this.size) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#inFlight++;
    try {
      return await send();
    } finally {
      this.#inFlight--;
      this.#waiting.shift()?.();
    }
  }

  /** Publishes sent or waiting. */
  get pending(): number {
    return this.#inFlight + this.#waiting.length;
  }
}
