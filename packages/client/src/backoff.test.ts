import { describe, expect, it } from 'vitest';
import { backoffCeilingMs, backoffDelayMs, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';

const OPTIONS: BackoffOptions = { initialDelayMs: 100, maxDelayMs: 5000, factor: 3 };

describe('backoff', () => {
  it('defaults to 1 s initial delay, 30 s cap and factor 2', () => {
    expect(DEFAULT_BACKOFF).toEqual({ initialDelayMs: 1000, maxDelayMs: 30_000, factor: 2 });
    expect([0, 1, 2, 3, 4, 5, 6, 20].map((n) => backoffCeilingMs(n, DEFAULT_BACKOFF))).toEqual([
      1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000,
    ]);
  });

  it('grows the ceiling as initial × factor^attempt and caps it at maxDelayMs', () => {
    expect([0, 1, 2, 3, 4, 5].map((n) => backoffCeilingMs(n, OPTIONS))).toEqual([100, 300, 900, 2700, 5000, 5000]);
  });

  it('treats a negative attempt as the first and never overflows to Infinity or NaN', () => {
    expect(backoffCeilingMs(-3, OPTIONS)).toBe(100);
    expect(backoffCeilingMs(10_000, OPTIONS)).toBe(5000);
    expect(backoffCeilingMs(Number.MAX_SAFE_INTEGER, DEFAULT_BACKOFF)).toBe(30_000);
    expect(backoffDelayMs(10_000, OPTIONS, () => 0.5)).toBe(2500);
  });

  it('full jitter: the delay is floor(random × ceiling), inside [0, ceiling)', () => {
    for (let attempt = 0; attempt < 8; attempt++) {
      const ceiling = backoffCeilingMs(attempt, OPTIONS);
      expect(backoffDelayMs(attempt, OPTIONS, () => 0)).toBe(0);
      expect(backoffDelayMs(attempt, OPTIONS, () => 0.5)).toBe(Math.floor(ceiling / 2));
      const highest = backoffDelayMs(attempt, OPTIONS, () => 0.999_999_9);
      expect(highest).toBe(ceiling - 1);
      expect(highest).toBeLessThan(ceiling);
    }
  });

  it('uses Math.random by default: every delay within bounds, spread over the whole range', () => {
    const delays = Array.from({ length: 2000 }, () => backoffDelayMs(2, OPTIONS));
    const ceiling = backoffCeilingMs(2, OPTIONS);
    for (const delay of delays) {
      expect(Number.isInteger(delay)).toBe(true);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(ceiling);
    }
    // Full jitter, not "equal jitter": values near 0 and near the ceiling both occur.
    expect(delays.some((d) => d < ceiling * 0.1)).toBe(true);
    expect(delays.some((d) => d > ceiling * 0.9)).toBe(true);
    expect(new Set(delays).size).toBeGreaterThan(100);
  });
});
