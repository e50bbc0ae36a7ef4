/**
 * Large publishes travel to Redis on a connection of their own (a Redis connection answers in
 * order, so a small publish sent behind megabytes of someone else's would wait for all of them),
 * and numbering is unaffected: large and small publishes on one channel from several
 * connections get one seq each, and every subscriber receives them all in seq order.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../../helpers/redis.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { tokenFor } from '../../helpers/tokens.js';
import { TestClient } from '../../helpers/ws-client.js';

/** The last command of each Nexus connection, by connection name (CLIENT LIST). */
async function lastCommands(inspector: Redis): Promise<Record<string, string>> {
  const list = (await inspector.call('CLIENT', 'LIST')) as string;
  const byName: Record<string, string> = {};
  for (const line of list.trim().split('\n')) {
    const fields = Object.fromEntries(line.split(' ').map((kv) => kv.split('=') as [string, string]));
    if (fields.name?.startsWith('nexus-')) byName[fields.name] = fields.cmd ?? '';
  }
  return byName;
}

describe('the bulk lane for large publishes', () => {
  let redis: TestRedis;
  let server: TestServer;
  let inspector: Redis;
  const clients: TestClient[] = [];
  const connect = async (name: string, role: 'operator' | 'viewer' = 'operator') => {
    const client = await TestClient.connect(server.wsUrl, await tokenFor(name, role));
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    redis = await startRedis();
    server = await startServer({ env: { NEXUS_REDIS_URL: redis.url, LOG_LEVEL: 'error' } });
    inspector = new Redis(redis.url);
  });
  afterAll(async () => {
    for (const client of clients) client.socket.terminate();
    inspector?.disconnect();
    await server?.close();
    await redis?.stop();
  });

  it('small publishes go over the command connection, a 100 KB one over nexus-bulk', async () => {
    const publisher = await connect('bulk-pub');
    expect(await publisher.publish('bulk.small', { n: 1 })).toMatchObject({ type: 'ack', seq: 1 });
    const afterSmall = await lastCommands(inspector);
    // (The command connection's last command may be another write of the same publish.)
    expect(afterSmall['nexus-commands']).toBeDefined();
    expect(afterSmall['nexus-bulk']).toBeDefined();
    expect(afterSmall['nexus-bulk']).not.toMatch(/^eval/);
    expect(await publisher.publish('bulk.large', { text: 'x'.repeat(100_000) })).toMatchObject({ type: 'ack', seq: 1 });
    expect((await lastCommands(inspector))['nexus-bulk']).toMatch(/^eval/);
  });

  it('large and small publishes on one channel from 4 connections: one seq each, delivered once, in order', async () => {
    const channel = 'bulk.mixed';
    const subscriber = await connect('bulk-sub', 'viewer');
    await subscriber.subscribe(channel);
    const publishers = await Promise.all([0, 1, 2, 3].map((i) => connect(`bulk-mixed-${i}`)));
    const acks = await Promise.all(
      publishers.map(async (publisher, i) => {
        const seqs: number[] = [];
        for (let k = 0; k < 10; k++) {
          // Connections 0 and 1 send 200 KB payloads, 2 and 3 small ones.
          const payload = i < 2 ? { i, k, text: 'y'.repeat(200_000) } : { i, k };
          const ack = await publisher.publish(channel, payload);
          expect(ack.type).toBe('ack');
          seqs.push(ack.seq as number);
        }
        return seqs;
      }),
    );
    // Each connection's own publishes are numbered in the order it sent them.
    for (const seqs of acks) expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const all = acks.flat().sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    await subscriber.barrier();
    const deadline = Date.now() + 5000;
    while (subscriber.ofType('message').length < 40 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(subscriber.ofType('message').map((f) => f.seq)).toEqual(all);
  });
});
