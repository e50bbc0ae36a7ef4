import { describe, expect, it } from 'vitest';
import { filterAgents } from './filter-agents';
import type { AgentRow } from './merge-agents';

const row = (agentId: string, state: AgentRow['state']): AgentRow => ({
  agentId,
  state,
  sinceMs: undefined,
  online: state === 'online',
  lastSeenMs: undefined,
  latest: {},
});
const rows = [row('eu-west_001', 'online'), row('eu-west_002', 'silent'), row('us-east_001', 'offline')];
const ids = (text: string) => filterAgents(rows, text).map((r) => r.agentId);

describe('filterAgents', () => {
  it('keeps every row for an empty filter', () => {
    expect(filterAgents(rows, '  ')).toBe(rows);
  });

  it('matches part of the id, in any case, or the state', () => {
    expect(ids('EU-')).toEqual(['eu-west_001', 'eu-west_002']);
    expect(ids('silent')).toEqual(['eu-west_002']);
    expect(ids('eu offline')).toEqual([]);
    expect(ids('001 online')).toEqual(['eu-west_001']);
  });

  it('matches no state while the page cannot know it', () => {
    expect(filterAgents([row('a', undefined)], 'offline')).toEqual([]);
  });
});
