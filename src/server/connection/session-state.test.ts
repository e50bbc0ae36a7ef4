import { describe, expect, it } from 'vitest';
import { canChangeReading, canTransition, isServing, type ReadState, type SessionState } from './session-state.js';

const STATES: readonly SessionState[] = ['open', 'awaiting-pong', 'closing', 'closed'];
const ALLOWED = new Set([
  'open→awaiting-pong',
  'open→closing',
  'open→closed',
  'awaiting-pong→open',
  'awaiting-pong→closing',
  'awaiting-pong→closed',
  'closing→closed',
]);

describe('session states', () => {
  it('allows exactly the transitions of the diagram', () => {
    for (const previous of STATES)
      for (const next of STATES)
        expect(canTransition(previous, next), `${previous}→${next}`).toBe(ALLOWED.has(`${previous}→${next}`));
  });

  it('walks a whole life: pinged, answered, cut, closed — and nothing after closed', () => {
    const walk: SessionState[] = ['open', 'awaiting-pong', 'open', 'closing', 'closed'];
    for (let i = 1; i < walk.length; i++) expect(canTransition(walk[i - 1]!, walk[i]!)).toBe(true);
    for (const next of STATES) expect(canTransition('closed', next)).toBe(false);
  });

  it('serves only while open or awaiting a pong', () => {
    expect(STATES.filter(isServing)).toEqual(['open', 'awaiting-pong']);
  });
});

describe('read states', () => {
  const READ_STATES: readonly ReadState[] = ['reading', 'backlogged', 'held', 'throttled', 'stopped'];
  const READ_ALLOWED = new Set([
    'reading→backlogged',
    'reading→held',
    'reading→throttled',
    'reading→stopped',
    'held→reading',
    'held→backlogged',
    'held→throttled',
    'held→stopped',
    'backlogged→reading',
    'backlogged→throttled',
    'backlogged→stopped',
    'throttled→reading',
    'throttled→backlogged',
    'throttled→stopped',
  ]);

  it('allows exactly the transitions of the diagram', () => {
    for (const previous of READ_STATES)
      for (const next of READ_STATES)
        expect(canChangeReading(previous, next), `${previous}→${next}`).toBe(READ_ALLOWED.has(`${previous}→${next}`));
  });

  it('walks a flooder: backlogged, throttled, read again, throttled, stopped — and nothing after', () => {
    const walk: ReadState[] = ['reading', 'backlogged', 'throttled', 'reading', 'throttled', 'stopped'];
    for (let i = 1; i < walk.length; i++) expect(canChangeReading(walk[i - 1]!, walk[i]!)).toBe(true);
    for (const next of READ_STATES) expect(canChangeReading('stopped', next)).toBe(false);
  });
});
