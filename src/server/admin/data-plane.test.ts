import { describe, expect, it } from 'vitest';
import { MemoryBroker } from '../broker/index.js';
import { Hub } from '../fanout/index.js';
import { createLogger } from '../logger.js';
import { MemorySharedState } from '../state/index.js';
import type { Session } from '../connection/index.js';
import type { AdminConnection } from '@nexus-realtime/client/protocol';
import { PAGE_ANSWER_BYTES, type ConnectionCursor } from './connection-pages.js';
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
  it('lists 20,000 connections of one process page by page, each once, in id order', async () => {
    const broker = new MemoryBroker({ historySize: 10, sweepIntervalMs: 0 });
    const hub = new Hub(broker, createLogger('silent'));
    const sessions = new Set(Array.from({ length: 20_000 }, (_, i) => fakeSession(i)));
    const plane = new DataPlane({ sessions, hub, broker, control: new MemorySharedState().control, now: Date.now });
    await plane.connections({}, { limit: 10 }); // warm up
    const items: AdminConnection[] = [];
    let after: ConnectionCursor | undefined;
    let pages = 0;
    do {
      const page = await plane.connections({}, { limit: 5000, after });
      expect(page.missing).toEqual([]);
      // Each page is bounded in bytes as well as in count.
      expect(JSON.stringify(page.items).length).toBeLessThan(PAGE_ANSWER_BYTES + 4096);
      items.push(...page.items);
      after = page.next;
      pages++;
    } while (after && pages < 100);
    expect(items).toHaveLength(20_000);
    expect(new Set(items.map((c) => c.connectionId)).size).toBe(20_000);
    const ids = items.map((c) => c.connectionId);
    expect(ids).toEqual([...ids].sort());
    expect(items.find((c) => c.connectionId === 'conn-1')).toMatchObject({
      subscriptions: [{ channel: 'telemetry', filters: { agent_id: 'agent_1' } }, { channel: 'tasks' }],
      rttMs: 4,
    });
    expect(items.find((c) => c.connectionId === 'conn-0')).not.toHaveProperty('rttMs');
    await broker.close();
  });

  it('filters by user and by channel', async () => {
    const broker = new MemoryBroker({ historySize: 10, sweepIntervalMs: 0 });
    const hub = new Hub(broker, createLogger('silent'));
    const sessions = new Set(Array.from({ length: 1000 }, (_, i) => fakeSession(i)));
    const plane = new DataPlane({ sessions, hub, broker, control: new MemorySharedState().control, now: Date.now });
    const page = { limit: 5000 };
    expect((await plane.connections({ userId: 'user-7' }, page)).items).toHaveLength(2);
    expect((await plane.connections({ channel: 'tasks' }, page)).items).toHaveLength(1000);
    expect((await plane.connections({ channel: 'events' }, page)).items).toHaveLength(0);
    // Filters apply before paging: a page of 1 of user-7's connections, then the other, then none.
    const first = await plane.connections({ userId: 'user-7' }, { limit: 1 });
    const second = await plane.connections({ userId: 'user-7' }, { limit: 1, after: first.next });
    expect([...first.items, ...second.items].map((c) => c.connectionId)).toEqual(['conn-507', 'conn-7']);
    expect(second.next).toBeUndefined();
    await broker.close();
  });
});
