import { describe, expect, it } from 'vitest';
import { currentState, formatDuration, stateSpans } from './state-changes';

const T = 1_800_000_000_000;

describe('stateSpans', () => {
  it('lists the kept changes newest first, each lasting until the next one', () => {
    const spans = stateSpans(
      [
        { state: 'online', sinceMs: T },
        { state: 'silent', sinceMs: T + 60_000 },
      ],
      undefined,
    );
    expect(spans).toEqual([
      { state: 'silent', sinceMs: T + 60_000, untilMs: undefined },
      { state: 'online', sinceMs: T, untilMs: T + 60_000 },
    ]);
  });

  it('adds the change heard live when it is newer than what the server kept, once', () => {
    const kept = [{ state: 'online' as const, sinceMs: T }];
    const heard = { agentId: 'a', state: 'offline' as const, previous: 'online' as const, sinceMs: T + 5_000 };
    expect(stateSpans(kept, heard).map((s) => s.state)).toEqual(['offline', 'online']);
    expect(stateSpans([...kept, { state: 'offline', sinceMs: T + 5_000 }], heard)).toHaveLength(2);
    expect(stateSpans([], heard)).toEqual([{ state: 'offline', sinceMs: T + 5_000, untilMs: undefined }]);
  });
});

describe('currentState', () => {
  it('is the newer of the answer and the change heard', () => {
    const heard = { agentId: 'a', state: 'silent' as const, previous: 'online' as const, sinceMs: T + 1 };
    expect(currentState({ state: 'online', sinceMs: T }, heard)).toEqual({ state: 'silent', sinceMs: T + 1 });
    expect(currentState({ state: 'offline', sinceMs: T + 2 }, heard)).toEqual({ state: 'offline', sinceMs: T + 2 });
    expect(currentState(undefined, undefined)).toBeUndefined();
  });
});

describe('formatDuration', () => {
  it('reads in its two largest units', () => {
    expect(formatDuration(500)).toBe('< 1 s');
    expect(formatDuration(40_000)).toBe('40 s');
    expect(formatDuration(7_500_000)).toBe('2 h 5 min');
    expect(formatDuration(90_061_000)).toBe('1 d 1 h');
  });
});
