import { describe, expect, it } from 'vitest';
import type { LogEntry } from '../../../store/message-log-store';
import { formatClock, logChannels, PREVIEW_MAX_CHARS, previewOf } from './log-format';

const entry = (data: unknown, partial: Partial<LogEntry> = {}): LogEntry => ({
  id: 1,
  receivedAt: 0,
  type: 'message',
  channel: 'events',
  data,
  ...partial,
});

describe('log formatting', () => {
  it('formats local time as 24-hour HH:MM:SS, like the rest of the page', () => {
    expect(formatClock(new Date(2025, 0, 1, 21, 5, 7, 42).getTime())).toBe('21:05:07');
  });

  it('previews data as one line of JSON, truncated', () => {
    expect(previewOf(entry({ a: [1, 2] }))).toBe('{"a":[1,2]}');
    expect(previewOf(entry('text'))).toBe('"text"');
    expect(previewOf(entry('messages were missed', { type: 'gap' }))).toBe('messages were missed');
    const long = previewOf(entry({ pad: 'x'.repeat(1000) }));
    expect(long).toHaveLength(PREVIEW_MAX_CHARS);
    expect(long.endsWith('…')).toBe(true);
  });

  it('serialises an entry once', () => {
    let reads = 0;
    const data = { toJSON: () => (reads++, 'x') };
    const e = entry(data);
    previewOf(e);
    previewOf(e);
    expect(reads).toBe(1);
  });

  it('lists the distinct channels, sorted', () => {
    expect(
      logChannels([entry(1, { channel: 'tasks' }), entry(2, { channel: 'events' }), entry(3, { channel: 'tasks' })]),
    ).toEqual(['events', 'tasks']);
  });
});
