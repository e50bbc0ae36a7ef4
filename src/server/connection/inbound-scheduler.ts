/**
 * One process-wide scheduler for the work inbound frames cost: decoding, validating and handing
 * each accepted frame to its session. ws hands over every frame of a TCP read at once (one read
 * of a flood holds thousands); handled on the spot, the frames of one busy user would hold the
 * event loop for as long as they take, and a bystander's frame read in the same loop iteration
 * would wait behind all of them.
 *
 * So frames only queue where they arrive (per connection, raw, counted against the connection's
 * waiting bounds), and the scheduler handles them in turns of at most TURN_BUDGET_MS, one frame
 * at a time, yielding to I/O (`setImmediate`) between turns. Within a turn the next frame is
 * always the oldest of the **owner** (the user, whatever number of connections it holds) that
 * has used the least handling time so far — start-time fair queueing with measured time as the
 * cost: an owner that has been quiet is served ahead of one that keeps the loop busy, so a
 * bystander waits at most one turn (plus one frame) whoever floods.
 */
import { flushCorkedWrites } from './write-coalescer.js';

/**
 * Longest a turn goes on handling frames before I/O gets its go (one frame may overrun it). A
 * bystander waits about this long at most; shorter turns cost throughput, since the frames
 * written to a socket during one event-loop turn leave in one `writev` (write-coalescer.ts):
 * with 4 ms turns a fan-out to 1,000 subscribers made 3× the system calls and used 1.8× the CPU
 * per delivery.
 */
export const TURN_BUDGET_MS = 16;

/** What the scheduler drives: one connection's queue of raw frames. */
export interface InboundQueue {
  /** Whose fair share this queue draws on (a user id). */
  readonly owner: string;
  /** True while frames wait. */
  hasWork(): boolean;
  /** Handles the oldest waiting frame. */
  handleOne(): void;
}

interface Owner {
  readonly key: string;
  /** Handling time used so far, in ms, counted from the time the owner became active. */
  vtime: number;
  /** This owner's queues with frames waiting, served in turn. */
  readonly queues: InboundQueue[];
  /** Where the owner sits in the heap (-1 when not in it). */
  slot: number;
}

export interface InboundSchedulerOptions {
  readonly turnBudgetMs?: number;
  readonly now?: () => number;
  /** Runs the next turn once pending I/O has had its go. */
  readonly defer?: (turn: () => void) => void;
  /** A frame's handling threw (never expected: sessions answer bad frames themselves). */
  readonly onError?: (error: unknown) => void;
  /** Runs after each turn: by default the frames written during it are sent (write-coalescer.ts). */
  readonly afterTurn?: () => void;
}

export class InboundScheduler {
  readonly #owners = new Map<string, Owner>();
  /** Owners with work, a binary min-heap on `vtime`. */
  readonly #heap: Owner[] = [];
  /** The `vtime` of the owner served last: an owner becoming active starts there. */
  #virtualTime = 0;
  #turnPending = false;
  readonly #queued = new Set<InboundQueue>();
  readonly #turnBudgetMs: number;
  readonly #now: () => number;
  readonly #defer: (turn: () => void) => void;
  readonly #afterTurn: () => void;

  constructor(private readonly options: InboundSchedulerOptions = {}) {
    this.#turnBudgetMs = options.turnBudgetMs ?? TURN_BUDGET_MS;
    this.#now = options.now ?? (() => performance.now());
    this.#defer = options.defer ?? ((turn) => void setImmediate(turn));
    this.#afterTurn = options.afterTurn ?? flushCorkedWrites;
  }

  /** Owners with frames waiting (for metrics and tests). */
  get activeOwners(): number {
    return this.#heap.length;
  }

  /** The queue has (new) work; a no-op when it is already scheduled. */
  wake(queue: InboundQueue): void {
    if (this.#queued.has(queue) || !queue.hasWork()) return;
    this.#queued.add(queue);
    let owner = this.#owners.get(queue.owner);
    if (!owner) {
      owner = { key: queue.owner, vtime: this.#virtualTime, queues: [], slot: -1 };
      this.#owners.set(owner.key, owner);
    }
    owner.queues.push(queue);
    if (owner.slot === -1) {
      owner.vtime = Math.max(owner.vtime, this.#virtualTime);
      this.#push(owner);
    }
    this.#scheduleTurn();
  }

  /** The queue's connection is gone: it is never served again. */
  forget(queue: InboundQueue): void {
    if (!this.#queued.delete(queue)) return;
    const owner = this.#owners.get(queue.owner);
    if (!owner) return;
    const at = owner.queues.indexOf(queue);
    if (at >= 0) owner.queues.splice(at, 1);
    if (owner.queues.length === 0) this.#retire(owner);
  }

  /** Handles frames until the budget is spent or nothing waits; schedules the next turn. */
  #turn = (): void => {
    this.#turnPending = false;
    const startedMs = this.#now();
    let lastMs = startedMs;
    while (this.#heap.length > 0 && lastMs - startedMs < this.#turnBudgetMs) {
      const owner = this.#heap[0]!;
      const queue = owner.queues.shift()!;
      this.#virtualTime = owner.vtime;
      try {
        queue.handleOne();
      } catch (error) {
        this.options.onError?.(error);
      }
      const nowMs = this.#now();
      owner.vtime += nowMs - lastMs;
      lastMs = nowMs;
      if (queue.hasWork() && this.#queued.has(queue)) owner.queues.push(queue);
      else this.#queued.delete(queue);
      if (owner.queues.length === 0) this.#retire(owner);
      else if (owner.slot !== -1) this.#siftDown(owner.slot);
    }
    if (this.#heap.length > 0) this.#scheduleTurn();
    this.#afterTurn();
  };

  #scheduleTurn(): void {
    if (this.#turnPending) return;
    this.#turnPending = true;
    this.#defer(this.#turn);
  }

  /** An owner with nothing waiting leaves: nothing is kept for users who went quiet. */
  #retire(owner: Owner): void {
    if (owner.slot !== -1) this.#removeAt(owner.slot);
    if (this.#owners.get(owner.key) === owner) this.#owners.delete(owner.key);
  }

  // ---- the heap ----------------------------------------------------------------------------

  #push(owner: Owner): void {
    owner.slot = this.#heap.length;
    this.#heap.push(owner);
    this.#siftUp(owner.slot);
  }

  #removeAt(slot: number): void {
    const heap = this.#heap;
    const removed = heap[slot]!;
    const last = heap.pop()!;
    removed.slot = -1;
    if (last === removed) return;
    heap[slot] = last;
    last.slot = slot;
    this.#siftUp(slot);
    this.#siftDown(last.slot);
  }

  #siftUp(slot: number): void {
    const heap = this.#heap;
    while (slot > 0) {
      const parent = (slot - 1) >> 1;
      if (heap[parent]!.vtime <= heap[slot]!.vtime) return;
      this.#swap(slot, parent);
      slot = parent;
    }
  }

  #siftDown(slot: number): void {
    const heap = this.#heap;
    for (;;) {
      const left = 2 * slot + 1;
      if (left >= heap.length) return;
      const right = left + 1;
      const child = right < heap.length && heap[right]!.vtime < heap[left]!.vtime ? right : left;
      if (heap[slot]!.vtime <= heap[child]!.vtime) return;
      this.#swap(slot, child);
      slot = child;
    }
  }

  #swap(a: number, b: number): void {
    const heap = this.#heap;
    const first = heap[a]!;
    const second = heap[b]!;
    heap[a] = second;
    heap[b] = first;
    first.slot = b;
    second.slot = a;
  }
}
