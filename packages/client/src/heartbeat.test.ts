import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Heartbeat } from './heartbeat.js';

function setup(pingIntervalMs = 1000, pongTimeoutMs = 500) {
  const pings: string[] = [];
  const rtts: number[] = [];
  const onDead = vi.fn();
  const heartbeat = new Heartbeat({
    pingIntervalMs,
    pongTimeoutMs,
    now: () => Date.now(),
    sendPing: (id) => pings.push(id),
    onDead,
    onRtt: (rtt) => rtts.push(rtt),
  });
  return { heartbeat, pings, rtts, onDead };
}

describe('Heartbeat', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('pings every pingIntervalMs once started, not before', () => {
    const { heartbeat, pings } = setup();
    vi.advanceTimersByTime(5000);
    expect(pings).toEqual([]);
    heartbeat.start();
    vi.advanceTimersByTime(999);
    expect(pings).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(pings).toHaveLength(1);
    heartbeat.pong(pings[0]);
    vi.advanceTimersByTime(1000);
    expect(pings).toHaveLength(2);
    expect(new Set(pings).size).toBe(2);
    heartbeat.stop();
  });

  it('a pong with the ping id gives the round-trip time and cancels the timeout', () => {
    const { heartbeat, pings, rtts, onDead } = setup();
    heartbeat.start();
    vi.advanceTimersByTime(1000);
    vi.advanceTimersByTime(42);
    expect(heartbeat.pong(pings[0])).toBe(true);
    expect(rtts).toEqual([42]);
    vi.advanceTimersByTime(900);
    expect(onDead).not.toHaveBeenCalled();
    heartbeat.stop();
  });

  it('ignores pongs that do not answer its own outstanding ping', () => {
    const { heartbeat, pings, rtts } = setup();
    heartbeat.start();
    expect(heartbeat.pong('hb-1')).toBe(false);
    vi.advanceTimersByTime(1000);
    expect(heartbeat.pong('someone-else')).toBe(false);
    expect(heartbeat.pong(undefined)).toBe(false);
    expect(rtts).toEqual([]);
    expect(heartbeat.pong(pings[0])).toBe(true);
    expect(heartbeat.pong(pings[0])).toBe(false);
    expect(rtts).toHaveLength(1);
    heartbeat.stop();
  });

  it('no pong within pongTimeoutMs: onDead once, at ping + timeout, and no more pings', () => {
    const { heartbeat, pings, onDead } = setup(1000, 500);
    heartbeat.start();
    vi.advanceTimersByTime(1000 + 499);
    expect(pings).toHaveLength(1);
    expect(onDead).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onDead).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(10_000);
    expect(onDead).toHaveBeenCalledTimes(1);
    expect(pings).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a timeout longer than the interval sends no second ping while one is outstanding', () => {
    const { heartbeat, pings, onDead } = setup(100, 1000);
    heartbeat.start();
    vi.advanceTimersByTime(1099);
    expect(pings).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(onDead).toHaveBeenCalledTimes(1);
    expect(pings).toHaveLength(1);
  });

  it('pingNow sends at once unless a ping is in flight', () => {
    const { heartbeat, pings } = setup();
    heartbeat.pingNow();
    heartbeat.pingNow();
    expect(pings).toHaveLength(1);
    heartbeat.pong(pings[0]);
    heartbeat.pingNow();
    expect(pings).toHaveLength(2);
    heartbeat.stop();
  });

  it('stop() clears the interval and the pending timeout; start() twice keeps one interval', () => {
    const { heartbeat, pings, onDead } = setup(1000, 500);
    heartbeat.start();
    heartbeat.start();
    vi.advanceTimersByTime(1000);
    expect(pings).toHaveLength(1);
    heartbeat.stop();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(10_000);
    expect(onDead).not.toHaveBeenCalled();
    expect(pings).toHaveLength(1);
  });
});
