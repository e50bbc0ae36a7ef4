import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ReadGate } from './read-gate.js';

function gate() {
  const log: string[] = [];
  const dropped: number[] = [];
  const readGate = new ReadGate({
    pause: () => log.push('pause'),
    resume: () => log.push('resume'),
    droppedUnread: (count) => dropped.push(count),
    changed: (previous, next) => log.push(`${previous}→${next}`),
  });
  return { readGate, log, dropped };
}

describe('read gate', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('a throttle pauses the socket for its time, drops are reported once, then reading resumes', () => {
    const { readGate, log, dropped } = gate();
    readGate.throttle(2000, () => 'reading');
    expect(readGate.discarding).toBe(true);
    for (let i = 0; i < 1000; i++) readGate.dropUnread();
    vi.advanceTimersByTime(1999);
    expect(readGate.state).toBe('throttled');
    vi.advanceTimersByTime(1);
    expect(readGate.state).toBe('reading');
    expect(dropped).toEqual([1000]);
    expect(log).toEqual(['pause', 'reading→throttled', 'resume', 'throttled→reading']);
  });

  it('frames still waiting when the pause ends: backlogged, read again once drained', () => {
    const { readGate, log } = gate();
    readGate.backlog();
    readGate.throttle(100, () => 'backlogged');
    readGate.drained(); // throttled: the inbox draining does not resume reading
    expect(readGate.state).toBe('throttled');
    vi.advanceTimersByTime(100);
    expect(readGate.state).toBe('backlogged');
    readGate.drained();
    expect(readGate.state).toBe('reading');
    expect(log.filter((l) => l === 'resume')).toHaveLength(1);
  });

  it('stopped is final: no pause timer brings reading back', () => {
    const { readGate, dropped } = gate();
    readGate.throttle(100, () => 'reading');
    readGate.dropUnread();
    readGate.stop();
    vi.advanceTimersByTime(1000);
    expect(readGate.state).toBe('stopped');
    expect(readGate.discarding).toBe(true);
    readGate.drained();
    readGate.backlog();
    expect(readGate.state).toBe('stopped');
    readGate.release();
    expect(dropped).toEqual([1]);
  });

  it('a hold pauses the socket without discarding, then reading resumes; only from reading', () => {
    const { readGate, log } = gate();
    readGate.hold(500, () => 'reading');
    expect(readGate.state).toBe('held');
    expect(readGate.discarding).toBe(false);
    readGate.backlog(); // held: a full inbox does not change it, the hold's end does
    vi.advanceTimersByTime(500);
    expect(readGate.state).toBe('reading');
    expect(log).toEqual(['pause', 'reading→held', 'resume', 'held→reading']);
    readGate.throttle(100, () => 'reading');
    readGate.hold(500, () => 'reading'); // a throttled connection stays throttled
    expect(readGate.state).toBe('throttled');
  });

  it('a held connection over its own rate is throttled, and its hold timer no longer applies', () => {
    const { readGate } = gate();
    readGate.hold(50, () => 'reading');
    readGate.throttle(300, () => 'reading');
    vi.advanceTimersByTime(100);
    expect(readGate.state).toBe('throttled');
    vi.advanceTimersByTime(200);
    expect(readGate.state).toBe('reading');
  });
});
