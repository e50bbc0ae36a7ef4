/**
 * Reconnect delays: exponential backoff with full jitter — a uniformly random delay between 0
 * and min(maxDelayMs, initialDelayMs × factor^attempt) — so a fleet that lost its server does not
 * come back in lockstep. https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */

/** Backoff settings, in milliseconds. */
export interface BackoffOptions {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly factor: number;
}

/** Defaults: 1 s, doubling, capped at 30 s. */
export const DEFAULT_BACKOFF: BackoffOptions = { initialDelayMs: 1000, maxDelayMs: 30_000, factor: 2 };

/** The ceiling of the delay before reconnect attempt `attempt` (0-based). */
export function backoffCeilingMs(attempt: number, options: BackoffOptions): number {
  const exponential = options.initialDelayMs * Math.pow(options.factor, Math.max(0, attempt));
  return Math.min(options.maxDelayMs, Number.isFinite(exponential) ? exponential : options.maxDelayMs);
}

/** The delay before reconnect attempt `attempt` (0-based): full jitter below the ceiling. */
export function backoffDelayMs(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  return Math.floor(random() * backoffCeilingMs(attempt, options));
}

/**
 * The delay before reconnect attempt `attempt`: full jitter — or, right after a service restart
 * (close 1012), a uniform random delay below `restartMaxDelayMs` whatever the attempt: the server
 * is coming back, and its clients spread out over that time.
 */
export function retryDelayMs(
  attempt: number,
  options: BackoffOptions,
  random: () => number,
  restart: { readonly restartMaxDelayMs: number } | undefined,
): number {
  return restart ? Math.floor(random() * restart.restartMaxDelayMs) : backoffDelayMs(attempt, options, random);
}
