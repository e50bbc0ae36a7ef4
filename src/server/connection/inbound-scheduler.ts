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
 * cost: an owner that has been quiet is served ahead of one that keeps the loop busy.
 *
 * Fair queueing alone still makes a quiet user wait for one frame of every busy user (two
 * hundred users' subscribes at 0.3 ms each: 60 ms), and ties it with them: ws hands over one
 * frame per connection per event-loop iteration, so a flooder's queues run dry at nearly every
 * turn and it comes back at the same virtual time as a newcomer. So an owner is *fresh* when
 * its frame arrives with nothing else of its connection behind it (ws holds no more of its
 * bytes) and it used little of the loop lately — under FRESH_USAGE_MS of handling time, decayed
 * with a half-life of USAGE_HALF_LIFE_MS, remembered after its queues run dry. A fresh owner's
 * frame is handled ahead of every busy owner, in arrival order among the fresh, and what it
 * wrote is sent before the busy owners' share of the turn; then it queues with the others.
 *
 * Busy owners coming back start at the virtual time, not behind it by what they used before:
 * measured time includes whatever garbage collection ran during a frame, and with two hundred
 * owners sharing the loop a millisecond of lead would cost two hundred of waiting.
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

/** An owner is fresh only when it used under this much handling time lately… */
export const FRESH_USAGE_MS = 20;
/** …counted with a half-life of this long. */
export const USAGE_HALF_LIFE_MS = 1000;
/** How often owners with nothing waiting are looked over, to forget those whose use has faded. */
const SWEEP_EVERY_MS = 1000;
/** Used time below this is as good as none: the owner is forgotten at the next sweep. */
const FORGOTTEN_USAGE_MS = 0.01;

/** What the scheduler drives: one connection's queue of raw frames. */
export interface InboundQueue {
  /** Whose fair share this queue draws on (a user id). */
  readonly owner: string;
  /** True while frames wait. */
  hasWork(): boolean;
  /** True when more of this connection's frames are on their way (bytes ws has not handed over). */
  moreBehind?(): boolean;
  /** Handles the oldest waiting frame. */
  handleOne(): void;
}

interface Owner {
  readonly key: string;
  /** Handling time used since it became active, in ms, on the scheduler's virtual clock. */
  vtime: number;
  /** Handling time used lately, decayed (see USAGE_HALF_LIFE_MS), as of `usageAtMs`. */
  usage: number;
  usageAtMs: number;
  /** This owner's queues with frames waiting, served in turn. */
  readonly queues: InboundQueue[];
  /** Where the owner sits in the heap (-1 when not in it). */
  slot: number;
  /** True while its first frame waits among the fresh. */
  fresh: boolean;
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
  /** Owners back after using little, served first in arrival order (`#freshHead` is the next). */
  #fresh: Owner[] = [];
  #freshHead = 0;
  #turnPending = false;
  #sweptAtMs = 0;
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
    return this.#heap.length + this.#fresh.length - this.#freshHead;
  }

  /** Owners remembered, with or without frames waiting (for tests). */
  get knownOwners(): number {
    return this.#owners.size;
  }

  /** The queue has (new) work; a no-op when it is already scheduled. */
  wake(queue: InboundQueue): void {
    if (this.#queued.has(queue) || !queue.hasWork()) return;
    this.#queued.add(queue);
    let owner = this.#owners.get(queue.owner);
    if (!owner) {
      owner = {
        key: queue.owner,
        vtime: 0,
        usage: 0,
        usageAtMs: 0,
        queues: [],
        slot: -1,
        fresh: false,
      };
      this.#owners.set(owner.key, owner);
    }
    owner.queues.push(queue);
    if (owner.slot === -1 && !owner.fresh) this.#activate(owner, queue);
    this.#scheduleTurn();
  }

  /** The queue's connection is gone: it is never served again. */
  forget(queue: InboundQueue): void {
    if (!this.#queued.delete(queue)) return;
    const owner = this.#owners.get(queue.owner);
    if (!owner) return;
    const at = owner.queues.indexOf(queue);
    if (at >= 0) owner.queues.splice(at, 1);
    if (owner.queues.length > 0) return;
    if (owner.fresh) {
      owner.fresh = false;
      const slot = this.#fresh.indexOf(owner, this.#freshHead);
      if (slot >= 0) this.#fresh.splice(slot, 1);
    }
    this.#retire(owner);
  }

  /** Handles frames until the budget is spent or nothing waits; schedules the next turn. */
  #turn = (): void => {
    this.#turnPending = false;
    const startedMs = this.#now();
    let lastMs = startedMs;
    let freshWrote = false;
    while (this.activeOwners > 0 && lastMs - startedMs < this.#turnBudgetMs) {
      const fresh = this.#freshHead < this.#fresh.length;
      // What the fresh frames wrote leaves now, not after the busy owners' share of the turn.
      if (!fresh && freshWrote) {
        freshWrote = false;
        this.#afterTurn();
      }
      const owner = fresh ? this.#fresh[this.#freshHead++]! : this.#heap[0]!;
      freshWrote ||= fresh;
      const queue = owner.queues.shift()!;
      if (!owner.fresh) this.#virtualTime = owner.vtime;
      try {
        queue.handleOne();
      } catch (error) {
        this.options.onError?.(error);
      }
      const nowMs = this.#now();
      const usedMs = nowMs - lastMs;
      owner.vtime += usedMs;
      owner.usage = this.#decayedUsage(owner, nowMs) + usedMs;
      owner.usageAtMs = nowMs;
      lastMs = nowMs;
      if (queue.hasWork() && this.#queued.has(queue)) owner.queues.push(queue);
      else this.#queued.delete(queue);
      if (owner.fresh) {
        // One frame ahead of the others; the rest waits its turn among them.
        owner.fresh = false;
        if (owner.queues.length > 0) this.#push(owner);
        else this.#retire(owner);
      } else if (owner.queues.length === 0) this.#retire(owner);
      else this.#siftDown(owner.slot);
    }
    if (this.#freshHead === this.#fresh.length) {
      this.#fresh = [];
      this.#freshHead = 0;
    }
    if (this.activeOwners > 0) this.#scheduleTurn();
    if (lastMs - this.#sweptAtMs >= SWEEP_EVERY_MS) this.#sweep(lastMs);
    this.#afterTurn();
  };

  /** An owner with nothing waiting has a frame again: fresh (see above), or among the others. */
  #activate(owner: Owner, queue: InboundQueue): void {
    owner.vtime = this.#virtualTime;
    if (!queue.moreBehind?.() && this.#decayedUsage(owner, this.#now()) < FRESH_USAGE_MS) {
      owner.fresh = true;
      this.#fresh.push(owner);
    } else this.#push(owner);
  }

  #decayedUsage(owner: Owner, nowMs: number): number {
    const elapsedMs = nowMs - owner.usageAtMs;
    return elapsedMs <= 0 ? owner.usage : owner.usage * 2 ** (-elapsedMs / USAGE_HALF_LIFE_MS);
  }

  #scheduleTurn(): void {
    if (this.#turnPending) return;
    this.#turnPending = true;
    this.#defer(this.#turn);
  }

  /**
   * An owner with nothing waiting leaves the heap; its recent use is remembered until it fades
   * (`#sweep`), so coming back soon after much work does not make it fresh.
   */
  #retire(owner: Owner): void {
    if (owner.slot !== -1) this.#removeAt(owner.slot);
  }

  /** Forgets the owners with nothing waiting whose use has faded: nothing is kept for users who went quiet. */
  #sweep(nowMs: number): void {
    this.#sweptAtMs = nowMs;
    for (const [key, owner] of this.#owners) {
      const idle = owner.slot === -1 && !owner.fresh;
      if (idle && this.#decayedUsage(owner, nowMs) < FORGOTTEN_USAGE_MS) this.#owners.delete(key);
    }
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
