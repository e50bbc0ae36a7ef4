import { describe, expect, it } from 'vitest';
import { TelemetryBuffers } from '../../../worker/model/telemetry-buffers';
import type { AgentState } from '../../../lib/agent-state';
import { LIVE_ONLINE_MS, compactMetrics, mergeAgents } from './merge-agents';

const NOW_MS = Date.parse('2030-01-01T00:01:00.000Z');
const LIVE = { nowMs: NOW_MS, connected: true };

describe('mergeAgents', () => {
  it('unites both sources, sorted by id with numbers in order', () => {
    const live = new TelemetryBuffers();
    live.ingest(NOW_MS, { agent_id: 'agent_10', cpu_usage: 1 });
    const rows = mergeAgents(
      [{ agent_id: 'agent_2', online: true, last_seen: '2030-01-01T00:00:59.000Z', latest: {} }],
      live.agentIds(),
      live,
      LIVE,
    );
    expect(rows.map((row) => row.agentId)).toEqual(['agent_2', 'agent_10']);
  });

  it('takes presence from recent telemetry, else from REST', () => {
    const live = new TelemetryBuffers();
    live.ingest(NOW_MS - LIVE_ONLINE_MS, { agent_id: 'fresh', x: 1 });
    live.ingest(NOW_MS - LIVE_ONLINE_MS - 1, { agent_id: 'stale', x: 1 });
    live.ingest(NOW_MS - 60_000, { agent_id: 'rest_online', x: 1 });
    const rest = [{ agent_id: 'rest_online', online: true, last_seen: '2030-01-01T00:00:00.000Z', latest: {} }];
    const online = Object.fromEntries(
      mergeAgents(rest, live.agentIds(), live, LIVE).map((row) => [row.agentId, row.online]),
    );
    expect(online).toEqual({ fresh: true, stale: false, rest_online: true });
  });

  it('shows nobody online while the page is disconnected, whatever either source last said', () => {
    const live = new TelemetryBuffers();
    live.ingest(NOW_MS, { agent_id: 'fresh', x: 1 });
    const rest = [{ agent_id: 'rest_online', online: true, last_seen: '2030-01-01T00:00:59.000Z', latest: {} }];
    const rows = mergeAgents(rest, live.agentIds(), live, { nowMs: NOW_MS, connected: false });
    expect(rows.map((row) => [row.agentId, row.online])).toEqual([
      ['fresh', false],
      ['rest_online', false],
    ]);
    expect(rows[0]!.lastSeenMs).toBe(NOW_MS);
  });

  it('lets the newer source win for last seen and values, the other filling gaps', () => {
    const live = new TelemetryBuffers();
    live.ingest(NOW_MS - 1000, { agent_id: 'a', cpu_usage: 50 });
    const olderRest = [
      {
        agent_id: 'a',
        online: true,
        last_seen: new Date(NOW_MS - 5000).toISOString(),
        latest: { cpu_usage: 10, memory_mb: 256 },
      },
    ];
    expect(mergeAgents(olderRest, ['a'], live, LIVE)[0]).toMatchObject({
      lastSeenMs: NOW_MS - 1000,
      latest: { cpu_usage: 50, memory_mb: 256 },
    });
    const newerRest = [{ ...olderRest[0]!, last_seen: new Date(NOW_MS).toISOString() }];
    expect(mergeAgents(newerRest, ['a'], live, LIVE)[0]).toMatchObject({
      lastSeenMs: NOW_MS,
      latest: { cpu_usage: 10, memory_mb: 256 },
    });
  });
});

describe("mergeAgents with the server's states", () => {
  const since = (agoMs: number) => new Date(NOW_MS - agoMs).toISOString();
  const rest = (agentId: string, state: AgentState, agoMs: number) => ({
    agent_id: agentId,
    state,
    since: since(agoMs),
    online: state === 'online',
    last_seen: since(agoMs),
    latest: {},
  });
  const none = new TelemetryBuffers();

  it('takes online, silent and offline with since from REST, whatever telemetry says', () => {
    const live = new TelemetryBuffers();
    live.ingest(NOW_MS, { agent_id: 'quiet', x: 1 });
    const rows = mergeAgents([rest('up', 'online', 60_000), rest('quiet', 'silent', 20_000)], ['quiet'], live, LIVE);
    expect(rows.map((r) => [r.agentId, r.state, r.sinceMs, r.online])).toEqual([
      ['quiet', 'silent', NOW_MS - 20_000, false],
      ['up', 'online', NOW_MS - 60_000, true],
    ]);
  });

  it('a change heard on agents wins over an older REST answer, not over a newer one', () => {
    const heard = new Map([
      ['a', { agentId: 'a', state: 'offline' as const, previous: 'online' as const, sinceMs: NOW_MS - 1_000 }],
      ['b', { agentId: 'b', state: 'offline' as const, previous: 'online' as const, sinceMs: NOW_MS - 9_000 }],
    ]);
    const rows = mergeAgents([rest('a', 'online', 5_000), rest('b', 'online', 5_000)], [], none, { ...LIVE, heard });
    expect(rows.map((r) => [r.agentId, r.state])).toEqual([
      ['a', 'offline'],
      ['b', 'online'],
    ]);
  });

  it('lists an agent heard of only on agents when asked to, and no state at all while disconnected', () => {
    const heard = new Map([
      ['new', { agentId: 'new', state: 'online' as const, previous: 'offline' as const, sinceMs: NOW_MS }],
    ]);
    expect(mergeAgents([], [], none, { ...LIVE, heard }).map((r) => r.agentId)).toEqual([]);
    const rows = mergeAgents([], [], none, { ...LIVE, heard, heardIds: heard.keys() });
    expect(rows[0]).toMatchObject({ agentId: 'new', state: 'online', online: true });
    const offline = mergeAgents([rest('x', 'online', 0)], [], none, { nowMs: NOW_MS, connected: false });
    expect(offline[0]).toMatchObject({ state: undefined, sinceMs: undefined, online: false });
  });
});

describe('compactMetrics', () => {
  it('prefers cpu, memory and temperature, else the first three by name', () => {
    expect(compactMetrics({ z: 1, temperature_c: 60, cpu_usage: 5 })).toEqual([
      ['cpu_usage', 5],
      ['temperature_c', 60],
    ]);
    expect(compactMetrics({ d: 4, b: 2, a: 1, c: 3 })).toEqual([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
    expect(compactMetrics({})).toEqual([]);
  });
});
