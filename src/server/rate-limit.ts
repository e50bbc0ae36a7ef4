/**
 * Token bucket (https://en.wikipedia.org/wiki/Token_bucket): `ratePerSecond` sustained, `burst`
 * at most. Small and on every frame's path, so written here rather than pulled in.
 */
export class TokenBucket {
  #tokens: number;
  #updatedAtMs: number;

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.#tokens = burst;
    this.#updatedAtMs = now();
  }

  /** Takes one token; false when the bucket is empty. */
  take(): boolean {
    const nowMs = this.now();
    const elapsedMs = nowMs - this.#updatedAtMs;
    if (elapsedMs > 0) {
      this.#tokens = Math.min(this.burst, this.#tokens + (elapsedMs * this.ratePerSecond) / 1000);
      this.#updatedAtMs = nowMs;
    }
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/**
 * Tracks a flood: a run of rate-limited frames with no calm gap of `calmAfterMs` between them.
 * `limited()` returns true once the flood has lasted `closeAfterMs`.
 */
export class FloodDetector {
  #startedAtMs: number | undefined;
  #lastLimitedAtMs = 0;

  constructor(
    readonly closeAfterMs: number,
    readonly calmAfterMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a rate-limited frame; true when the connection has flooded long enough to be cut. */
  limited(): boolean {
    const nowMs = this.now();
    if (this.#startedAtMs === undefined || nowMs - this.#lastLimitedAtMs > this.calmAfterMs) {
      this.#startedAtMs = nowMs;
    }
    this.#lastLimitedAtMs = nowMs;
    return nowMs - this.#startedAtMs >= this.closeAfterMs;
  }
}
