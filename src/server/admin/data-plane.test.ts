import { describe, expect, it } from 'vitest';
import { MemoryBroker } from '../broker/memory.js';
import { Hub } from '../hub.js';
import { createLogger } from '../logger.js';
import type { Session } from '../session.js';
import { DataPlane } from './data-plane.js';

/** What the data plane reads of a session, without a socket. */
function fakeSession(i: number): Session {
  const subscriptions = [{ channel: 'telemetry', filters: { agent_id: `agent_${i % 200}` } }, { channel: 'tasks' }];
  return {
    id: `conn-${i}`,
    principal: { userId: `user-${i % 500}`, role: i % 10 === 0 ? 'agent' : 'viewer' },
    remoteAddress: '127.0.0.1',
    connectedAt: 1_700_000_000_000 + i,
    counters: {
      framesIn: i,
      bytesIn: i * 10,
      framesOut: i * 2,
      bytesOut: i * 200,
      bufferedBytes: i % 7,
      dropped: 0,
      rttMs: i % 3 === 0 ? undefined : 4,
    },
    subscriptionList: () => subscriptions.map((s) => ({ channel: s.channel, filters: s.filters })),
    subscribesTo: (channel: string) => subscriptions.some((s) => s.channel === channel),
  } as unknown as Session;
}

describe('DataPlane', () => {
  it('lists 20,000 connections of one process, serialized, in under 500 ms', async () => {
    const broker = new MemoryBroker({ historySize: 10, sweepIntervalMs: 0 });
    const hub = new Hub(broker, createLogger('silent'));
    const sessions = new Set(Array.from({ length: 20_000 }, (_, i) => fakeSession(i)));
    const plane = new DataPlane({ sessions, hub, broker, now: Date.now });
    await plane.connections({}); // warm up
    const started = performance.now();
    const { items, missing } = await plane.connections({});
    const body = JSON.stringify(items);
    const elapsedMs = performance.now() - started;
    expect(items).toHaveLength(20_000);
    expect(missing).toEqual([]);
    expect(body.length).toBeGreaterThan(0);
    expect(items[1]).toMatchObject({
      connectionId: 'conn-1',
      subscriptions: [{ channel: 'telemetry', filters: { agent_id: 'agent_1' } }, { channel: 'tasks' }],
      rttMs: 4,
    });
    expect(items[0]).not.toHaveProperty('rttMs');
    expect(elapsedMs).toBeLessThan(500);
    await broker.close();
  });

  it('filters by user and by channel', async () => {
    const broker = new MemoryBroker({ historySize: 10, sweepIntervalMs: 0 });
    const hub = new Hub(broker, createLogger('silent'));
    const sessions = new Set(Array.from({ length: 1000 }, (_, i) => fakeSession(i)));
    const plane = new DataPlane({ sessions, hub, broker, now: Date.now });
    expect((await plane.connections({ userId: 'user-7' })).items).toHaveLength(2);
    expect((await plane.connections({ channel: 'tasks' })).items).toHaveLength(1000);
    expect((await plane.connections({ channel: 'events' })).items).toHaveLength(0);
    await broker.close();
  });
});
