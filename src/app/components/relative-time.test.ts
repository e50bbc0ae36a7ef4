import { describe, expect, it } from 'vitest';
import { relativeTime } from './relative-time';

describe('relativeTime', () => {
  const NOW_MS = Date.parse('2030-01-01T00:01:00.000Z');

  it('says how long ago, in the largest fitting unit', () => {
    expect(relativeTime(NOW_MS - 5_000, NOW_MS)).toMatch(/5 seconds ago/);
    expect(relativeTime(NOW_MS - 3 * 60_000, NOW_MS)).toMatch(/3 minutes ago/);
  });

  it('never reads in the future: a time just ahead of the clock is now', () => {
    for (const aheadMs of [1, 400, 900, 1500, 60_000]) expect(relativeTime(NOW_MS + aheadMs, NOW_MS)).toBe('now');
  });
});
