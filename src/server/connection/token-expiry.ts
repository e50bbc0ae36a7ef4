/** Closes a connection when its token expires: one timer, re-armed when a refresh brings a new expiry. */

// setTimeout cannot wait longer than 2^31-1 ms; longer expiries are re-armed in steps.
const MAX_TIMER_MS = 2_147_483_647;

export class TokenExpiry {
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly now: () => number,
    /** Called once the token has expired. */
    private readonly expired: () => void,
  ) {}

  /** Arms the timer for `exp` (seconds since the epoch); undefined: the token never expires. */
  arm(exp: number | undefined): void {
    this.clear();
    if (exp === undefined) return;
    const delayMs = exp * 1000 - this.now();
    this.#timer = setTimeout(
      () => (delayMs > MAX_TIMER_MS ? this.arm(exp) : this.expired()),
      Math.max(0, Math.min(delayMs, MAX_TIMER_MS)),
    );
    this.#timer.unref();
  }

  clear(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
