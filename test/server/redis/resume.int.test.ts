/**
 * A process whose message subscriber loses Redis says so and catches up: `/healthz` answers 503
 * `redis: "down"` until it is subscribed again, then every message published meanwhile reaches
 * its subscribers from Redis history, in order, once; what history no longer holds is reported
 * to them as `history_unavailable`, never skipped in silence.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clientPool, deliveries, restJson, uniqueChannel, waitForFrame } from '../../helpers/assertions.js';
import { pollUntil } from '../../helpers/raw.js';
import { startRedis, type TestRedis } from '../../helpers/redis.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { startSwitchProxy } from '../../helpers/switch-proxy.js';
import { tokenFor } from '../../helpers/tokens.js';
import { sleep } from '../../helpers/ws-client.js';

describe('the message subscriber cut off from Redis', () => {
  let redis: TestRedis;
  let a: TestServer;
  let b: TestServer;
  let inspector: Redis;
  const extra: TestServer[] = [];
  const pool = clientPool();

  beforeAll(async () => {
    redis = await startRedis();
    const env = { NEXUS_REDIS_URL: redis.url, LOG_LEVEL: 'error' };
    [a, b] = await Promise.all([startServer({ env }), startServer({ env })]);
    inspector = new Redis(redis.url);
  });
  afterEach(() => pool.closeAll());
  afterAll(async () => {
    await pool.closeAll();
    inspector?.disconnect();
    await Promise.all([a, b, ...extra].map((s) => s?.close()));
    await redis?.stop();
  });

  it('CLIENT KILL TYPE pubsub while B publishes: A reports redis down meanwhile, then its subscriber has every acked message in order, once', async () => {
    const channel = uniqueChannel('killed');
    const subscriber = await pool.connect(a.wsUrl, await tokenFor('resume-sub'));
    await subscriber.subscribe(channel);
    const publisher = await pool.connect(b.wsUrl, await tokenFor('resume-pub', 'operator'));

    const health: number[] = [];
    let watching = true;
    const watcher = (async () => {
      for (let i = 0; i < 1000 && watching; i++) {
        health.push((await restJson(a.url, '/healthz')).status);
        await sleep(5);
      }
    })();
    const acked: number[] = [];
    let kills = 0;
    for (let n = 1; n <= 240; n++) {
      const ack = await publisher.publish(channel, { n });
      if (ack.type === 'ack') acked.push(ack.seq as number);
      // Cut every subscriber off three times while messages flow; the publisher's connection stays.
      if (n % 60 === 30) {
        kills += Number(await inspector.call('CLIENT', 'KILL', 'TYPE', 'pubsub'));
        await sleep(30);
      }
      await sleep(12); // under the publisher's 100 frames/s
    }
    watching = false;
    await watcher;

    expect(kills).toBeGreaterThanOrEqual(6); // at least A's and B's message subscribers, each time
    expect(acked).toHaveLength(240);
    const received = () => deliveries(subscriber, channel).map((f) => f.seq as number);
    await pollUntil(() => received().length >= acked.length, 10_000);
    expect(received()).toEqual(acked);
    expect(health).toContain(503);
    expect(await pollUntil(async () => (await restJson(a.url, '/healthz')).status === 200, 5000)).toBe(true);
    expect(subscriber.ofType('error')).toEqual([]);
  }, 60_000);

  it('/healthz says redis "down" while the subscriber is not subscribed', async () => {
    const statuses: { status: number; body: unknown }[] = [];
    await inspector.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    // ioredis waits about 100 ms before its first reconnect: the window is visible.
    for (let i = 0; i < 40; i++) {
      statuses.push(await restJson(a.url, '/healthz'));
      if (statuses.at(-1)!.status === 503) break;
      await sleep(2);
    }
    expect(statuses.at(-1)).toMatchObject({ status: 503, body: { status: 'degraded', redis: 'down' } });
    expect(await pollUntil(async () => (await restJson(a.url, '/healthz')).status === 200, 5000)).toBe(true);
  });

  it('a process cut off longer than its history reaches: subscribers get history_unavailable naming the lost seqs, then the kept ones and live ones in order', async () => {
    const proxy = await startSwitchProxy(redis.port);
    // History holds 5 messages per channel (the publishing process trims it).
    const env = { LOG_LEVEL: 'error', NEXUS_HISTORY_SIZE: '5' };
    const [cutOff, publishing] = await Promise.all([
      startServer({ env: { ...env, NEXUS_REDIS_URL: `redis://127.0.0.1:${proxy.port}` } }),
      startServer({ env: { ...env, NEXUS_REDIS_URL: redis.url } }),
    ]);
    extra.push(cutOff, publishing);
    try {
      const channel = uniqueChannel('gap');
      const subscriber = await pool.connect(cutOff.wsUrl, await tokenFor('gap-sub'));
      await subscriber.subscribe(channel);
      const publisher = await pool.connect(publishing.wsUrl, await tokenFor('gap-pub', 'operator'));
      await publisher.publish(channel, { n: 1 });
      await waitForFrame(subscriber, (f) => f.channel === channel && f.seq === 1);

      proxy.refuse(true);
      proxy.cutAll();
      expect(await pollUntil(async () => (await restJson(cutOff.url, '/healthz')).status === 503, 5000)).toBe(true);
      for (let n = 2; n <= 12; n++) expect(await publisher.publish(channel, { n })).toMatchObject({ seq: n });
      proxy.refuse(false);
      expect(await pollUntil(async () => (await restJson(cutOff.url, '/healthz')).status === 200, 8000)).toBe(true);

      const gap = await waitForFrame(subscriber, (f) => f.type === 'error', { timeoutMs: 5000 });
      expect(gap).toMatchObject({ code: 'history_unavailable' });
      expect(gap.message).toContain(`messages 2..7 of ${channel}`);
      await publisher.publish(channel, { n: 13 });
      await waitForFrame(subscriber, (f) => f.channel === channel && f.seq === 13, { timeoutMs: 5000 });
      // History (5 messages) still held 8..12: those arrive, after the gap notice, in order.
      expect(deliveries(subscriber, channel).map((f) => f.seq)).toEqual([1, 8, 9, 10, 11, 12, 13]);
      const order = subscriber.frames.filter(
        (f) => f.type === 'error' || (f.type === 'message' && f.channel === channel),
      );
      expect(order.map((f) => (f.type === 'error' ? 'gap' : f.seq))).toEqual([1, 'gap', 8, 9, 10, 11, 12, 13]);
    } finally {
      await proxy.close();
    }
  }, 60_000);
});
