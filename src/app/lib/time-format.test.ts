import { describe, expect, it } from 'vitest';
import { formatClock, formatDateTime } from './time-format';

describe('time format', () => {
  it('writes local time as 24-hour HH:MM:SS', () => {
    expect(formatClock(new Date(2025, 0, 1, 9, 5, 7, 942).getTime())).toBe('09:05:07');
    expect(formatClock(new Date(2025, 0, 1, 21, 32, 42, 927).getTime())).toBe('21:32:42');
    expect(formatClock(new Date(2025, 0, 1, 0, 0, 0).getTime())).toBe('00:00:00');
  });

  it('writes the date before the same clock for titles', () => {
    expect(formatDateTime(new Date(2025, 10, 3, 21, 4, 5).getTime())).toBe('2025-11-03 21:04:05');
  });
});
