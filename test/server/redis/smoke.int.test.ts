import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../../helpers/redis.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { tokenFor } from '../../helpers/tokens.js';
import { TestClient } from '../../helpers/ws-client.js';

describe('two processes on one Redis (smoke)', () => {
  let redis: TestRedis;
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    redis = await startRedis();
    a = await startServer({ env: { NEXUS_REDIS_URL: redis.url } });
    b = await startServer({ env: { NEXUS_REDIS_URL: redis.url } });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.stop();
  });

  it('delivers across processes with one shared seq and filters', async () => {
    const onB = await TestClient.connect(b.wsUrl, await tokenFor('viewer'));
    const onA = await TestClient.connect(a.wsUrl, await tokenFor('op', 'operator'));
    expect(await onB.subscribe('x.smoke', { filters: { k: 'b' } })).toMatchObject({ type: 'subscribed', seq: 0 });
    const ack1 = await onA.publish('x.smoke', { k: 'a' });
    const ack2 = await onA.publish('x.smoke', { k: 'b', n: 2 });
    expect([ack1.seq, ack2.seq]).toEqual([1, 2]);
    const message = await onB.next((f) => f.type === 'message');
    expect(message).toMatchObject({ seq: 2, from: 'op', data: { k: 'b', n: 2 } });
    const health = await (await fetch(`${b.url}/healthz`)).json();
    expect(health).toMatchObject({ status: 'ok', broker: 'redis', redis: 'up' });
    await onA.close();
    await onB.close();
  });
});
