import { describe, expect, it } from 'vitest';
import { AGENT_TRANSITIONS, nextAgentState, type AgentOp, type AgentStateName } from './agent-state-rules.js';
import { MemoryAgentStates } from './memory-agent-states.js';

const STATES: AgentStateName[] = ['online', 'silent', 'offline'];
const OPS: AgentOp['op'][] = ['count', 'silent', 'active'];

describe('agent state machine', () => {
  it('walks every allowed transition and no other', () => {
    const seen = new Set<string>();
    for (const from of STATES)
      for (const op of OPS)
        for (const connections of [0, 1, 3]) {
          const next = nextAgentState(from, op, connections);
          if (next === undefined) continue;
          expect(AGENT_TRANSITIONS[from], `${from} -${op}/${connections}-> ${next}`).toContain(next);
          seen.add(`${from}>${next}`);
        }
    const allowed = STATES.flatMap((from) => AGENT_TRANSITIONS[from].map((to) => `${from}>${to}`));
    expect([...seen].sort()).toEqual(allowed.sort());
  });

  it('goes offline only when no connection is left anywhere, and online on the first one', () => {
    expect(nextAgentState('online', 'count', 0)).toBe('offline');
    expect(nextAgentState('silent', 'count', 0)).toBe('offline');
    expect(nextAgentState('offline', 'count', 0)).toBeUndefined();
    expect(nextAgentState('offline', 'count', 1)).toBe('online');
    expect(nextAgentState('online', 'count', 2)).toBeUndefined();
    expect(nextAgentState('silent', 'count', 2)).toBeUndefined();
  });

  it('is silent only from online, and back online only from silent, while connected', () => {
    expect(nextAgentState('online', 'silent', 1)).toBe('silent');
    expect(nextAgentState('silent', 'silent', 1)).toBeUndefined();
    expect(nextAgentState('silent', 'active', 1)).toBe('online');
    expect(nextAgentState('online', 'active', 1)).toBeUndefined();
    expect(nextAgentState('online', 'silent', 0)).toBe('offline');
  });
});

describe('MemoryAgentStates', () => {
  it('answers each change once, keeps since and the history, and lists every agent', async () => {
    const store = new MemoryAgentStates('p1');
    expect(await store.apply([{ op: 'count', agentId: 'a', count: 1, atMs: 1000 }])).toEqual([
      { agentId: 'a', state: 'online', previous: 'offline', sinceMs: 1000 },
    ]);
    // A second connection and a repeated fact change nothing.
    expect(await store.apply([{ op: 'count', agentId: 'a', count: 2, atMs: 1100 }])).toEqual([]);
    expect(await store.apply([{ op: 'active', agentId: 'a', atMs: 1200 }])).toEqual([]);
    expect(await store.apply([{ op: 'silent', agentId: 'a', atMs: 16_000 }])).toEqual([
      { agentId: 'a', state: 'silent', previous: 'online', sinceMs: 16_000 },
    ]);
    expect(await store.apply([{ op: 'silent', agentId: 'a', atMs: 17_000 }])).toEqual([]);
    const changes = await store.apply([
      { op: 'active', agentId: 'a', atMs: 18_000 },
      { op: 'count', agentId: 'a', count: 0, atMs: 19_000 },
    ]);
    expect(changes.map((c) => [c.state, c.previous, c.sinceMs])).toEqual([
      ['online', 'silent', 18_000],
      ['offline', 'online', 19_000],
    ]);
    expect(await store.load()).toEqual([{ agentId: 'a', state: 'offline', sinceMs: 19_000 }]);
    expect((await store.history('a', 0)).map((h) => h.state)).toEqual(['online', 'silent', 'online', 'offline']);
    expect((await store.history('a', 17_000)).map((h) => h.sinceMs)).toEqual([18_000, 19_000]);
    expect(await store.history('unknown', 0)).toEqual([]);
  });

  it('is alone: its first beat rejoins, nobody is ever reaped', async () => {
    const store = new MemoryAgentStates('p1');
    expect(await store.beat()).toEqual({ changes: [], rejoined: true, live: ['p1'] });
    expect(await store.beat()).toEqual({ changes: [], rejoined: false, live: ['p1'] });
  });
});
