import { describe, expect, it } from 'vitest';
import { TelemetryBuffers } from '../../../worker/model/telemetry-buffers';
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
