import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OwnDeliveries } from './own-deliveries.js';

describe('OwnDeliveries', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('resolves a wait when its message is delivered, not before', async () => {
    const own = new OwnDeliveries(500);
    let done = false;
    const waiting = own.wait('commands', 'e1', 7).then(() => (done = true));
    own.delivered('commands', 'e1', 6);
    own.delivered('tasks', 'e1', 7);
    await vi.advanceTimersByTimeAsync(10);
    expect(done).toBe(false);
    own.delivered('commands', 'e1', 7);
    await waiting;
    expect(own.size).toEqual({ waiting: 0, early: 2 });
  });

  it('resolves at once when the message came back before the publish asked', async () => {
    const own = new OwnDeliveries(500);
    own.delivered('commands', 'e1', 1);
    await own.wait('commands', 'e1', 1);
    expect(own.size).toEqual({ waiting: 0, early: 0 });
  });

  it('gives up after the wait (the subscriber may be away) and forgets late arrivals', async () => {
    let nowMs = 0;
    const own = new OwnDeliveries(500, () => nowMs);
    let done = false;
    void own.wait('commands', 'e1', 1).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(499);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(done).toBe(true);
    own.delivered('commands', 'e1', 1); // late: nobody waits any more
    expect(own.size).toEqual({ waiting: 0, early: 1 });
    nowMs = 5_000;
    own.delivered('commands', 'e1', 2);
    expect(own.size).toEqual({ waiting: 0, early: 1 });
  });
});
