/**
 * Redis stopped and started again under a running process: every open connection is told
 * (`health` frames: degraded/down, then ok/up), and a connection opened while degraded is told
 * right after `connected`. Also Redis reachable but refusing writes (out of memory).
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../../helpers/redis.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { tokenFor } from '../../helpers/tokens.js';
import { TestClient, type Frame } from '../../helpers/ws-client.js';

const isHealth = (f: Frame) => f.type === 'health';

/** A ping→pong round trip: every frame the server had queued before the pong has arrived. */
async function barrier(client: TestClient): Promise<void> {
  expect((await client.request({ action: 'ping' })).type).toBe('pong');
}

describe('health frames when Redis goes down and comes back', () => {
  let redis: TestRedis;
  let server: TestServer;
  const clients: TestClient[] = [];
  const connect = async (name: string) => {
    const client = await TestClient.connect(server.wsUrl, await tokenFor(name));
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    redis = await startRedis();
    server = await startServer({ env: { NEXUS_REDIS_URL: redis.url, LOG_LEVEL: 'error' } });
  });
  afterAll(async () => {
    for (const client of clients) client.socket.terminate();
    await server?.close();
    await redis?.stop();
  });

  it('every connection gets degraded/down when Redis stops and ok/up when it is back; one opened meanwhile gets degraded at once', async () => {
    const early = await connect('health-early');
    // Healthy: nothing is sent after `connected`.
    await barrier(early);
    expect(early.ofType('health')).toEqual([]);

    const before = Date.now();
    await redis.stop();
    const down = await early.next(isHealth, 10_000);
    expect(down).toEqual({ type: 'health', status: 'degraded', redis: 'down', timestamp: expect.any(Number) });
    expect(down.timestamp as number).toBeGreaterThanOrEqual(before);

    // Opened while degraded: told right after it is accepted.
    const late = await connect('health-late');
    expect(late.frames.map((f) => f.type).slice(0, 2)).toEqual(['connected', 'health']);
    expect(late.frames[1]).toMatchObject({ status: 'degraded', redis: 'down' });

    await redis.restart();
    for (const client of [early, late]) {
      expect(await client.next((f) => isHealth(f) && f.status === 'ok', 20_000)).toEqual({
        type: 'health',
        status: 'ok',
        redis: 'up',
        timestamp: expect.any(Number),
      });
    }
    // One notice per change, not one per check.
    for (const client of [early, late])
      expect(client.ofType('health').map((f) => f.status)).toEqual(['degraded', 'ok']);

    // Healthy again: a new connection is told nothing.
    const after = await connect('health-after');
    await barrier(after);
    expect(after.ofType('health')).toEqual([]);
  }, 60_000);
});

describe('health frames when Redis refuses writes', () => {
  let redis: TestRedis;
  let server: TestServer;
  let inspector: Redis;

  beforeAll(async () => {
    redis = await startRedis({ args: ['--maxmemory-policy', 'noeviction'] });
    inspector = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await inspector.connect();
    server = await startServer({ env: { NEXUS_REDIS_URL: redis.url, LOG_LEVEL: 'error' } });
  });
  afterAll(async () => {
    await server?.close();
    inspector?.disconnect();
    await redis?.stop();
  });

  it('a connection gets degraded/refusing writes when Redis runs out of memory, and ok/up once it takes writes again', async () => {
    const client = await TestClient.connect(server.wsUrl, await tokenFor('health-oom'));
    await barrier(client);
    expect(client.ofType('health')).toEqual([]);
    // Redis keeps answering reads but refuses every write that could grow memory.
    await inspector.config('SET', 'maxmemory', '1');
    expect(await client.next(isHealth, 10_000)).toMatchObject({ status: 'degraded', redis: 'refusing writes' });
    await inspector.config('SET', 'maxmemory', '0');
    expect(await client.next(isHealth, 10_000)).toMatchObject({ status: 'ok', redis: 'up' });
    expect(client.ofType('health').map((f) => f.redis)).toEqual(['refusing writes', 'up']);
    client.socket.terminate();
  }, 30_000);
});
