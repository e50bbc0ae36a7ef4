import { describe, expect, it } from 'vitest';
import { chartWindow, chooseStep, MAX_ROLLUP_POINTS, MIN_ZOOM_MS, RANGES } from './time-range';

const NOW = Date.UTC(2026, 11, 7, 12);
const MIN = 60_000;
const HOUR = 60 * MIN;

describe('chooseStep', () => {
  it.each([
    [1 * MIN, '1s'],
    [5 * MIN, '1s'],
    [15 * MIN, '10s'],
    [1 * HOUR, '10s'],
    [6 * HOUR, '1m'],
    [24 * HOUR, '1m'],
  ])('a live range of %d ms ending now uses %s', (spanMs, step) => {
    expect(chooseStep(NOW - spanMs, NOW, NOW).key).toBe(step);
  });

  it('keeps every range at a few hundred points where a step allows it', () => {
    for (const range of RANGES.filter((r) => r.ms <= 6 * HOUR)) {
      const step = chooseStep(NOW - range.ms, NOW, NOW);
      expect(range.ms / step.ms, range.key).toBeLessThanOrEqual(MAX_ROLLUP_POINTS);
    }
  });

  it('never asks for a step no longer kept for the start of the range', () => {
    // Two minutes, but twenty minutes ago: 1 s rollups are gone, 10 s ones are kept.
    expect(chooseStep(NOW - 20 * MIN, NOW - 18 * MIN, NOW).key).toBe('10s');
    // Ten minutes, seven hours ago: only 1 min rollups.
    expect(chooseStep(NOW - 7 * HOUR, NOW - 7 * HOUR + 10 * MIN, NOW).key).toBe('1m');
    // Past every retention: the coarsest, and the server answers what it keeps.
    expect(chooseStep(NOW - 48 * HOUR, NOW, NOW).key).toBe('1m');
  });

  it('a zoom into the last minutes gets the fine step', () => {
    expect(chooseStep(NOW - 3 * MIN, NOW - 1 * MIN, NOW).key).toBe('1s');
  });
});

describe('chartWindow', () => {
  it('a live range ends now; a zoom is fixed and never narrower than the minimum', () => {
    expect(chartWindow('1h', null)).toEqual({ windowMs: HOUR, endMs: undefined });
    expect(chartWindow('1h', { fromMs: NOW - MIN, toMs: NOW })).toEqual({ windowMs: MIN, endMs: NOW });
    expect(chartWindow('5m', { fromMs: NOW, toMs: NOW + 10 })).toEqual({ windowMs: MIN_ZOOM_MS, endMs: NOW + 10 });
  });
});
