/**
 * Large REST answers are written piece by piece as the client reads them, never built whole in
 * memory: a history page of 1 MB messages or a list of tasks with 16 KiB params each would
 * otherwise sit in memory once as objects and once as text per request, and eight such requests
 * at once cost gigabytes. Each answer also stops at `MAX_ANSWER_BYTES` and tells the client where
 * to go on from.
 */
import type { Response } from 'express';

/** Bytes one REST answer may hold; a longer one ends early with a cursor for the rest. */
export const MAX_ANSWER_BYTES = 8 * 1024 * 1024;

/**
 * An answer yields to the event loop after this many bytes, whether or not the client's socket
 * pushed back: on loopback the kernel takes megabytes at once, and the `drain` that follows comes
 * on the next tick, so ten 8 MiB answers would otherwise be written without anyone else's frame
 * being read in between.
 */
export const YIELD_EVERY_BYTES = 256 * 1024;

export class JsonStream {
  #bytes = 0;
  #sinceYield = 0;
  #closed = false;

  constructor(private readonly res: Response) {
    res.on('close', () => (this.#closed = true));
  }

  /** Bytes written so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /** True once the client went away: stop producing. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Writes a piece; waits while the client has not read what came before. False once the client is gone. */
  async write(piece: string | Buffer): Promise<boolean> {
    if (this.#closed) return false;
    const length = typeof piece === 'string' ? Buffer.byteLength(piece) : piece.length;
    this.#bytes += length;
    this.#sinceYield += length;
    if (!this.res.write(piece)) await drained(this.res);
    if (this.#sinceYield >= YIELD_EVERY_BYTES) {
      this.#sinceYield = 0;
      await new Promise((resolve) => setImmediate(resolve));
    }
    return !this.#closed;
  }

  end(piece: string): void {
    if (!this.#closed) this.res.end(piece);
  }
}

function drained(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
