import { describe, expect, it } from 'vitest';
import { FloodDetector, TokenBucket } from './rate-limit.js';

describe('token bucket', () => {
  it('allows the burst, then the sustained rate', () => {
    let nowMs = 0;
    const bucket = new TokenBucket(100, 200, () => nowMs);
    let passed = 0;
    for (let i = 0; i < 300; i++) if (bucket.take()) passed++;
    expect(passed).toBe(200);
    nowMs += 100; // 100 ms at 100/s = 10 tokens
    passed = 0;
    for (let i = 0; i < 50; i++) if (bucket.take()) passed++;
    expect(passed).toBe(10);
  });

  it('never holds more than the burst', () => {
    let nowMs = 0;
    const bucket = new TokenBucket(100, 200, () => nowMs);
    nowMs += 60_000;
    let passed = 0;
    for (let i = 0; i < 1000; i++) if (bucket.take()) passed++;
    expect(passed).toBe(200);
  });
});

describe('flood detector', () => {
  it('trips after a continuous flood of closeAfterMs', () => {
    let nowMs = 0;
    const flood = new FloodDetector(5000, 1000, () => nowMs);
    let tripped = false;
    for (; nowMs < 4990; nowMs += 10) tripped ||= flood.limited();
    expect(tripped).toBe(false);
    nowMs = 5000;
    expect(flood.limited()).toBe(true);
  });

  it('starts over after a calm gap', () => {
    let nowMs = 0;
    const flood = new FloodDetector(5000, 1000, () => nowMs);
    for (; nowMs < 4000; nowMs += 100) flood.limited();
    nowMs += 1500; // calm
    for (let i = 0; i < 40; i++, nowMs += 100) expect(flood.limited()).toBe(false);
  });
});
