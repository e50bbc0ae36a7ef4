// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { appendEntries, MAX_LOG_ENTRIES, messageLogStore, type LogEntry } from '../store/message-log-store';
import { createFrameScheduler } from './frame-scheduler';

const entry = (id: number): LogEntry => ({ id, receivedAt: id, type: 'message', channel: 'c', data: id });

describe('frame scheduler', () => {
  afterEach(() => vi.useRealTimers());

  it('runs one flush per animation frame however often it is scheduled', async () => {
    let flushes = 0;
    const scheduler = createFrameScheduler(() => flushes++);
    for (let i = 0; i < 100; i++) scheduler.schedule();
    await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
    expect(flushes).toBe(1);
    scheduler.schedule();
    await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
    expect(flushes).toBe(2);
  });

  it('still flushes while the tab is hidden (timer fallback)', () => {
    vi.useFakeTimers();
    const hidden = vi.spyOn(document, 'hidden', 'get').mockReturnValue(true);
    let flushes = 0;
    const scheduler = createFrameScheduler(() => flushes++);
    scheduler.schedule();
    vi.advanceTimersByTime(1000);
    expect(flushes).toBe(1);
    hidden.mockRestore();
  });
});

describe('message log batching', () => {
  it('appends batches without loss and keeps the newest entries past the cap', () => {
    messageLogStore.setState({ entries: [], paused: false, missedWhilePaused: 0 });
    appendEntries(Array.from({ length: 10 }, (_, i) => entry(i)));
    appendEntries(Array.from({ length: 10 }, (_, i) => entry(10 + i)));
    expect(messageLogStore.getState().entries.map((e) => e.id)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    appendEntries(Array.from({ length: MAX_LOG_ENTRIES }, (_, i) => entry(100 + i)));
    const entries = messageLogStore.getState().entries;
    expect(entries).toHaveLength(MAX_LOG_ENTRIES);
    expect(entries[entries.length - 1]!.id).toBe(100 + MAX_LOG_ENTRIES - 1);
  });

  it('counts what arrives while paused instead of showing it', () => {
    messageLogStore.setState({ entries: [], paused: true, missedWhilePaused: 0 });
    appendEntries([entry(1), entry(2)]);
    expect(messageLogStore.getState()).toMatchObject({ entries: [], missedWhilePaused: 2 });
  });
});
