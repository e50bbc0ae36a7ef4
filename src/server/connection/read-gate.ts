/**
 * Whether one connection's socket is read (the `ReadState` machine of session-state.ts), and
 * the socket paused or resumed to match. Reading stops while frames wait behind a long replay
 * (`backlogged`), while the connection is far over its rate (`throttled`, for a set time, so TCP
 * pushes back on the sender), and for good once it is closed for flooding (`stopped`).
 *
 * While throttled or stopped, what ws had already taken from TCP (one read holds thousands of
 * tiny frames) is counted and dropped by the session unparsed; the count reaches the metrics in
 * one step when the pause ends, not one counter update per frame.
 */
import { canChangeReading, type ReadState } from './session-state.js';

/** What the gate drives: the socket (pause/resume) and where dropped frames are reported. */
export interface ReadGateTarget {
  pause(): void;
  resume(): void;
  /** Frames dropped unread during a pause, reported once it ends. */
  droppedUnread(count: number): void;
  /** Every change, for tracing. */
  changed(previous: ReadState, next: ReadState, reason: string): void;
}

export class ReadGate {
  #state: ReadState = 'reading';
  #pauseTimer: NodeJS.Timeout | undefined;
  #droppedUnread = 0;

  constructor(private readonly target: ReadGateTarget) {}

  get state(): ReadState {
    return this.#state;
  }

  /** True while frames ws hands over are to be dropped unparsed (throttled or stopped). */
  get discarding(): boolean {
    return this.#state === 'throttled' || this.#state === 'stopped';
  }

  /** Counts a frame dropped unparsed. */
  dropUnread(): void {
    this.#droppedUnread++;
  }

  /** Frames wait to be handled: read no more until they are (from `reading` only). */
  backlog(): void {
    if (this.#state === 'reading') this.#change('backlogged', 'inbox full');
  }

  /** The waiting frames were handled: read again if that was all that stopped reading. */
  drained(): void {
    if (this.#state === 'backlogged') this.#change('reading', 'inbox drained');
  }

  /**
   * Stops reading for `pauseMs`; then calls `resumeTo()` for the state to go on in (`reading`,
   * or `backlogged` when frames still wait).
   */
  throttle(pauseMs: number, resumeTo: () => 'reading' | 'backlogged'): void {
    this.#change('throttled', 'over its rate');
    clearTimeout(this.#pauseTimer);
    this.#pauseTimer = setTimeout(() => {
      this.#reportDropped();
      if (this.#state === 'throttled') this.#change(resumeTo(), 'pause over');
    }, pauseMs);
    this.#pauseTimer.unref();
  }

  /**
   * Another connection of the same user spent the rate they share: stops reading for `pauseMs`
   * (from `reading` only), without dropping what ws already received; then `resumeTo()`.
   */
  hold(pauseMs: number, resumeTo: () => 'reading' | 'backlogged'): void {
    if (this.#state !== 'reading') return;
    this.#change('held', "the user's shared rate is spent");
    clearTimeout(this.#pauseTimer);
    this.#pauseTimer = setTimeout(() => {
      if (this.#state === 'held') this.#change(resumeTo(), 'hold over');
    }, pauseMs);
    this.#pauseTimer.unref();
  }

  /** Never reads again (the connection is being closed for flooding). */
  stop(): void {
    this.#change('stopped', 'closed for flooding');
  }

  /** The connection is gone: no timer left, the drops counted. */
  release(): void {
    clearTimeout(this.#pauseTimer);
    this.#reportDropped();
  }

  #reportDropped(): void {
    if (this.#droppedUnread === 0) return;
    this.target.droppedUnread(this.#droppedUnread);
    this.#droppedUnread = 0;
  }

  /** The one transition: checked against the diagram, then the socket follows. */
  #change(next: ReadState, reason: string): void {
    const previous = this.#state;
    if (!canChangeReading(previous, next)) return;
    this.#state = next;
    if (next === 'reading') this.target.resume();
    else this.target.pause();
    this.target.changed(previous, next, reason);
  }
}
