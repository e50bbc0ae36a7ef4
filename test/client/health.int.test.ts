/**
 * The Node client against a real server on a real redis-server: when Redis stops, the open
 * client gets `health` degraded/down (and stays open); a client connecting meanwhile knows it
 * right after the welcome; when Redis is back both get ok/up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NexusWebSocket, type ServerHealth } from '@nexus-realtime/client';
import { pollUntil } from '../helpers/raw.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { tokenFor } from '../helpers/tokens.js';

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  if (!(await pollUntil(check, timeoutMs, 10))) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

describe('NexusWebSocket and the server health', () => {
  let redis: TestRedis;
  let server: TestServer;
  const clients: NexusWebSocket[] = [];

  /** An open Node client and the health events it got. */
  async function open(name: string): Promise<{ client: NexusWebSocket; health: ServerHealth[] }> {
    const client = new NexusWebSocket(server.wsUrl, await tokenFor(name));
    clients.push(client);
    const health: ServerHealth[] = [];
    client.on('health', (event) => health.push(event));
    client.connect();
    await until(() => client.state === 'open', 5000, `${name} open`);
    return { client, health };
  }

  beforeAll(async () => {
    redis = await startRedis();
    server = await startServer({ env: { NEXUS_REDIS_URL: redis.url, LOG_LEVEL: 'error' } });
  });
  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await server?.close();
    await redis?.stop();
  });

  it('Redis stops: health degraded/down, the connection stays open; Redis back: ok/up', async () => {
    const early = await open('health-client-early');
    expect(early.client.serverHealth).toBeUndefined();

    const before = Date.now();
    await redis.stop();
    await until(() => early.health.length > 0, 10_000, 'health degraded');
    expect(early.health).toEqual([{ status: 'degraded', redis: 'down', timestamp: expect.any(Number) }]);
    expect(early.health[0]!.timestamp).toBeGreaterThanOrEqual(before);
    expect(early.client.serverHealth).toEqual(early.health[0]);
    expect(early.client.state).toBe('open');

    // Connecting while degraded: told right after the welcome.
    const late = await open('health-client-late');
    await until(() => late.health.length > 0, 5000, 'health right after the welcome');
    expect(late.client.serverHealth).toMatchObject({ status: 'degraded', redis: 'down' });

    await redis.restart();
    for (const { client, health } of [early, late]) {
      await until(() => health.at(-1)?.status === 'ok', 20_000, 'health ok');
      expect(client.serverHealth).toEqual({ status: 'ok', redis: 'up', timestamp: expect.any(Number) });
      expect(health.map((h) => `${h.status}/${h.redis}`)).toEqual(['degraded/down', 'ok/up']);
    }
  }, 60_000);
});
