/** The allowed-transitions table, pair by pair, and the client refusing any other change. */
import { describe, expect, it } from 'vitest';
import { ALLOWED_TRANSITIONS, CONNECTION_STATES, canTransition } from './connection-states.js';

const ALLOWED = new Set([
  'idle→connecting',
  'idle→closed',
  'connecting→open',
  'connecting→reconnecting',
  'connecting→failed',
  'connecting→closed',
  'open→reconnecting',
  'open→failed',
  'open→closed',
  'reconnecting→connecting',
  'reconnecting→failed',
  'reconnecting→closed',
  'closed→connecting',
  'failed→connecting',
  'failed→closed',
]);

describe('connection state transitions', () => {
  const pairs = CONNECTION_STATES.flatMap((from) => CONNECTION_STATES.map((to) => [from, to] as const));

  it('covers all 36 pairs of the 6 states', () => {
    expect(pairs).toHaveLength(36);
    expect(Object.keys(ALLOWED_TRANSITIONS).sort()).toEqual([...CONNECTION_STATES].sort());
  });

  it.each(pairs)('%s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(ALLOWED.has(`${from}→${to}`));
  });

  it('never allows staying in a state, nor leaving closed except by connect()', () => {
    for (const state of CONNECTION_STATES) expect(canTransition(state, state)).toBe(false);
    expect(ALLOWED_TRANSITIONS.closed).toEqual(['connecting']);
  });
});
