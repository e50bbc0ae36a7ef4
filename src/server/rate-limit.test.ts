import { describe, expect, it } from 'vitest';
import { ConnectionRate, FloodDetector, TokenBucket, USER_RATE_FACTOR, UserRates } from './rate-limit.js';

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
  it('counts the refusals of one flood and how long it has lasted', () => {
    let nowMs = 0;
    const flood = new FloodDetector(1000, () => nowMs);
    for (let i = 1; i <= 50; i++, nowMs += 40) expect(flood.refused()).toBe(i);
    expect(flood.floodingMs).toBe(2000);
  });

  it('starts over after a calm gap', () => {
    let nowMs = 0;
    const flood = new FloodDetector(1000, () => nowMs);
    for (; nowMs < 1900; nowMs += 100) flood.refused();
    nowMs += 1500; // calm
    expect(flood.refused()).toBe(1);
    expect(flood.floodingMs).toBe(0);
  });

  it('does not take a pause of reading for calm: the gap counts from when reading resumed', () => {
    let nowMs = 0;
    const flood = new FloodDetector(1000, () => nowMs);
    flood.refused();
    nowMs = 2000; // not read meanwhile
    flood.readingResumed();
    nowMs = 2010;
    expect(flood.refused()).toBe(2);
    expect(flood.floodingMs).toBe(2010);
  });
});

describe('connection rate', () => {
  const rule = { perSecond: 100, burst: 200, bytesPerSecond: 1000, bytesBurst: 4000 };
  const flood = { closeAfterMs: 2000, calmAfterMs: 1000, answeredRefusals: 100, minPauseMs: 100 };

  it('accepts the burst, refuses the next 100 frames one by one, then pauses reading until the bucket is full', () => {
    const rate = new ConnectionRate(rule, flood, () => 0);
    for (let i = 0; i < 200; i++) expect(rate.check(1).kind).toBe('accept');
    for (let i = 0; i < 100; i++) expect(rate.check(1)).toEqual({ kind: 'refuse', over: 'frames' });
    expect(rate.check(1)).toEqual({ kind: 'pause', over: 'frames', pauseMs: 2000 });
  });

  it('still flooding when reading resumes after the pause → close', () => {
    let nowMs = 0;
    const rate = new ConnectionRate(rule, flood, () => nowMs);
    for (let i = 0; i < 301; i++) rate.check(1);
    nowMs = 2000;
    rate.readingResumed();
    for (let i = 0; i < 200; i++) expect(rate.check(1).kind).toBe('accept');
    expect(rate.check(1)).toEqual({ kind: 'close' });
  });

  it('a pause never outlasts the 2 s of the flood: resuming then and refused again → close, not a second pause', () => {
    let nowMs = 0;
    const rate = new ConnectionRate(rule, flood, () => nowMs);
    for (let i = 0; i < 200; i++) rate.check(1);
    for (let i = 0; i < 100; i++) rate.check(1); // the flood starts at 0
    nowMs = 7; // 0.7 frame refilled: "until full" would be 1993 ms
    const pause = rate.check(1);
    expect(pause).toEqual({ kind: 'pause', over: 'frames', pauseMs: 1993 });
    nowMs = 7 + (pause.kind === 'pause' ? pause.pauseMs : 0);
    rate.readingResumed();
    for (let i = 0; i < 200; i++) rate.check(1);
    expect(rate.check(1)).toEqual({ kind: 'close' });
  });

  it('a connection that calms down during the pause is served again, its next flood counted afresh', () => {
    let nowMs = 0;
    const rate = new ConnectionRate(rule, flood, () => nowMs);
    for (let i = 0; i < 301; i++) rate.check(1);
    nowMs = 2000;
    rate.readingResumed();
    nowMs = 3500; // calm
    for (let i = 0; i < 200; i++) expect(rate.check(1).kind).toBe('accept');
    expect(rate.check(1)).toEqual({ kind: 'refuse', over: 'frames' });
  });

  it('a frame over the byte rate pauses reading at once; frames within it pass', () => {
    let nowMs = 0;
    const rate = new ConnectionRate(rule, flood, () => nowMs);
    expect(rate.check(3000).kind).toBe('accept');
    expect(rate.check(1000).kind).toBe('accept');
    expect(rate.check(10)).toEqual({ kind: 'pause', over: 'bytes', pauseMs: 2000 });
    nowMs = 500; // 500 bytes refilled
    expect(rate.check(400).kind).toBe('accept');
  });

  it('a frame larger than the byte burst passes when the bucket is full, and leaves it in debt', () => {
    let nowMs = 0;
    const rate = new ConnectionRate(rule, flood, () => nowMs);
    expect(rate.check(6000).kind).toBe('accept');
    nowMs = 1500;
    expect(rate.check(1).kind).toBe('pause'); // 2000 in debt + 1500 refilled: still under 1
    nowMs = 2500;
    expect(rate.check(100).kind).toBe('accept');
  });
});

describe("a user's connections together", () => {
  const rule = { perSecond: 100, burst: 200, bytesPerSecond: 1000, bytesBurst: 4000 };
  const flood = { closeAfterMs: 2000, calmAfterMs: 1000, answeredRefusals: 100, minPauseMs: 100 };

  it(`share ${USER_RATE_FACTOR}× one connection's burst and rate, whatever their number`, () => {
    let nowMs = 0;
    const users = new UserRates(() => nowMs);
    const rates = Array.from(
      { length: 10 },
      () => new ConnectionRate(rule, flood, () => nowMs, users.acquire('alice', rule)),
    );
    let accepted = 0;
    for (const rate of rates) for (let i = 0; i < 200; i++) if (rate.check(1).kind === 'accept') accepted++;
    expect(accepted).toBe(rule.burst * USER_RATE_FACTOR);
    // Another user is not touched.
    const bob = new ConnectionRate(rule, flood, () => nowMs, users.acquire('bob', rule));
    expect(bob.check(1).kind).toBe('accept');
    // One second later the user's connections together get the shared rate again.
    nowMs = 1000;
    accepted = 0;
    for (const rate of rates) for (let i = 0; i < 100; i++) if (rate.check(1).kind === 'accept') accepted++;
    expect(accepted).toBe(rule.perSecond * USER_RATE_FACTOR);
  });

  it('share bytes the same way, and the buckets go with the last connection', () => {
    const users = new UserRates(() => 0);
    const a = new ConnectionRate(rule, flood, () => 0, users.acquire('carol', rule));
    const b = new ConnectionRate(rule, flood, () => 0, users.acquire('carol', rule));
    expect(a.check(4000).kind).toBe('accept');
    expect(b.check(4000).kind).toBe('accept');
    expect(b.check(1000).kind).toBe('pause');
    users.release('carol');
    expect(users.size).toBe(1);
    users.release('carol');
    expect(users.size).toBe(0);
  });

  it("hold every connection of the user once a frame finds the shared buckets spent, and no one else's", () => {
    let nowMs = 0;
    const users = new UserRates(() => nowMs);
    const holds: string[] = [];
    const connection = (user: string, name: string) => {
      const rate = new ConnectionRate(rule, flood, () => nowMs, users.acquire(user, rule));
      const off = rate.onUserSpent((pauseMs) => holds.push(`${name}:${pauseMs}`));
      return { rate, off };
    };
    const [a, b, c] = [connection('dave', 'a'), connection('dave', 'b'), connection('erin', 'c')];
    expect(a.rate.check(4000).kind).toBe('accept');
    expect(b.rate.check(4000).kind).toBe('accept');
    expect(holds).toEqual([]);
    // The user's 8,000 bytes are spent: both of its connections hold until they refill (capped at
    // the flood's close time), the other user's does not.
    expect(b.rate.check(1000).kind).toBe('pause');
    expect(holds).toEqual(['a:2000', 'b:2000']);
    b.off();
    nowMs = 500;
    expect(a.rate.check(4000).kind).not.toBe('accept');
    expect(holds.slice(2)).toEqual(['a:2000']);
    expect(c.rate.check(1000).kind).toBe('accept');
    expect(holds.some((h) => h.startsWith('c:'))).toBe(false);
  });
});
