/**
 * Sends history replays in slices. A slice encodes and sends until it has spent its budget of
 * messages, bytes or time (or its page ends); every replay in progress takes its turn through
 * one process-wide scheduler, which lets each event-loop turn spend only a few milliseconds on
 * replays, one slice at a time, in arrival order. So other connections keep their latency
 * however large the history and however many viewers replay at once. Before each slice the
 * replay waits until its connection has room (about half the slow-consumer limit), it pulls the
 * broker's pages one at a time, and it stops — no more reading, no more encoding — as soon as
 * the connection closes.
 */
import { performance } from 'node:perf_hooks';
import { type BrokerMessage, frameOf } from '../broker/index.js';

/** What one slice may do before it gives the turn back. */
export interface SliceBudget {
  /** Messages looked at (sent or filtered out). */
  readonly messages: number;
  /** Bytes of frames sent. */
  readonly bytes: number;
  /** Time spent (ms). */
  readonly ms: number;
}

/** A millisecond or two of work; a few hundred KiB keep loopback busy. */
export const DEFAULT_SLICE_BUDGET: SliceBudget = { messages: 1000, bytes: 256 * 1024, ms: 2 };
/** Replay work one event-loop turn may do, all replays together. */
export const DEFAULT_TURN_BUDGET_MS = 4;

type Clock = () => number;
const monotonicMs: Clock = () => performance.now();

/**
 * Shares event-loop turns among the replays in progress: slices run one at a time, in the order
 * they asked; once a turn has spent `turnMs`, the next slice waits for the next turn.
 */
export class SliceScheduler {
  readonly #waiting: (() => void)[] = [];
  #busy = false;
  #scheduled = false;
  #turnStartedAtMs = 0;

  constructor(
    readonly turnMs: number = DEFAULT_TURN_BUDGET_MS,
    private readonly nowMs: Clock = monotonicMs,
  ) {}

  /** Resolves when the caller may run a slice; it must call the function it gets once done. */
  acquire(): Promise<() => void> {
    return new Promise((resolve) => {
      this.#waiting.push(() => resolve(this.#release));
      if (!this.#busy) this.#nextTurn();
    });
  }

  readonly #release = (): void => {
    this.#busy = false;
    if (this.nowMs() - this.#turnStartedAtMs < this.turnMs) this.#runNext();
    else this.#nextTurn();
  };

  #nextTurn(): void {
    if (this.#scheduled || this.#waiting.length === 0) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#turnStartedAtMs = this.nowMs();
      this.#runNext();
    });
  }

  #runNext(): void {
    if (this.#busy) return;
    const next = this.#waiting.shift();
    if (!next) return;
    this.#busy = true;
    next();
  }
}

/** Every replay of the process shares these turns. */
const sharedScheduler = new SliceScheduler();

/** The connection a replay is sent to. */
export interface ReplayTarget {
  /** False once the connection is closing: the replay stops at once. */
  isOpen(): boolean;
  /** Sends one encoded delivery (of `message`). */
  send(frame: Buffer, message: BrokerMessage): void;
  /** Resolves once the connection can take the next slice (or has closed). */
  waitForRoom(): Promise<void>;
}

export type ReplayOutcome =
  | { readonly status: 'done' }
  | { readonly status: 'closed' }
  /** The history could not be read to the end (e.g. trimmed while it was read). */
  | { readonly status: 'failed'; readonly error: unknown };

const DONE: ReplayOutcome = { status: 'done' };
const CLOSED: ReplayOutcome = { status: 'closed' };

export interface ReplayOptions {
  readonly budget?: SliceBudget;
  readonly scheduler?: SliceScheduler;
  readonly nowMs?: Clock;
}

/** Sends the messages of `pages` that `take` selects, in order, slice by slice. */
export async function sendReplay(
  pages: AsyncIterable<readonly BrokerMessage[]>,
  take: (message: BrokerMessage) => boolean,
  target: ReplayTarget,
  { budget = DEFAULT_SLICE_BUDGET, scheduler = sharedScheduler, nowMs = monotonicMs }: ReplayOptions = {},
): Promise<ReplayOutcome> {
  const iterator = pages[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done) {
        finished = true;
        return target.isOpen() ? DONE : CLOSED;
      }
      const page = next.value;
      for (let from = 0; from < page.length;) {
        await target.waitForRoom();
        if (!target.isOpen()) return CLOSED;
        const release = await scheduler.acquire();
        try {
          if (!target.isOpen()) return CLOSED;
          from = runSlice(page, from, take, target, budget, nowMs);
        } finally {
          release();
        }
      }
    }
  } catch (error) {
    finished = true;
    return target.isOpen() ? { status: 'failed', error } : CLOSED;
  } finally {
    // Stopped early: end the page iterator, so the broker stops reading too.
    if (!finished) await iterator.return?.();
  }
}

/** Sends from `page[from]` on until the budget is spent; returns where the next slice starts. */
function runSlice(
  page: readonly BrokerMessage[],
  from: number,
  take: (message: BrokerMessage) => boolean,
  target: ReplayTarget,
  budget: SliceBudget,
  nowMs: Clock,
): number {
  const startedAtMs = nowMs();
  let bytes = 0;
  let index = from;
  while (index < page.length) {
    const message = page[index++]!;
    if (take(message)) {
      const frame = frameOf(message);
      target.send(frame, message);
      bytes += frame.length;
    }
    if (!target.isOpen()) break;
    if (index - from >= budget.messages || bytes >= budget.bytes || nowMs() - startedAtMs >= budget.ms) break;
  }
  return index;
}
