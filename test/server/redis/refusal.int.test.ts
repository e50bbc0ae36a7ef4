/**
 * Redis reachable but refusing writes (out of memory under `maxmemory` with `noeviction`, or a
 * read-only replica) is never a silent split: health turns unhealthy with `redis: "refusing
 * writes"`, a publish reaches this process's own listeners under its `local:` epoch, a publish
 * nobody here listens to is refused with BrokerUnavailableError, the channel's Redis seq never
 * moves backwards, and everything clears by itself once Redis takes writes again. Also the same
 * rules while Redis is plainly unreachable, and `/healthz` of a real server.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { restJson, uniqueChannel, waitForFrame } from '../../helpers/assertions.js';
import { pollUntil } from '../../helpers/raw.js';
import { freePort, startRedis, type TestRedis } from '../../helpers/redis.js';
import { startServer } from '../../helpers/server.js';
import { tokenFor } from '../../helpers/tokens.js';
import { TestClient } from '../../helpers/ws-client.js';
import { BrokerUnavailableError, type BrokerMessage, RedisBroker } from '../../../src/server/broker/index.js';

const REFUSING = { healthy: false, details: { redis: 'refusing writes' } };
const UP = { healthy: true, details: { redis: 'up' } };

const publish = (broker: RedisBroker, channel: string, data: unknown) =>
  broker.publish({ channel, kind: 'message', from: 'u', data });

async function connectInspector(url: string): Promise<Redis> {
  const inspector = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await inspector.connect();
  return inspector;
}

describe('Redis refusing writes', () => {
  let redis: TestRedis;
  let inspector: Redis;
  const brokers: RedisBroker[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    inspector = await connectInspector(redis.url);
    await inspector.config('SET', 'maxmemory-policy', 'noeviction');
  });
  afterEach(async () => {
    await inspector.config('SET', 'maxmemory', '0');
    await Promise.all(brokers.splice(0).map((broker) => broker.close()));
  });
  afterAll(async () => {
    inspector?.disconnect();
    await redis?.stop();
  });

  const startBroker = async () => {
    const broker = new RedisBroker({ url: redis.url, historySize: 100, maintenanceIntervalMs: 100 });
    brokers.push(broker);
    await broker.start();
    return broker;
  };
  /** Redis keeps answering reads but refuses every write that could grow memory. */
  const outOfMemory = () => inspector.config('SET', 'maxmemory', '1');

  it('out of memory: unhealthy, local delivery under the local epoch where someone listens, BrokerUnavailableError where nobody does; clears when Redis takes writes again', async () => {
    const broker = await startBroker();
    const delivered: BrokerMessage[] = [];
    broker.onMessage((message) => delivered.push(message));
    const watched = uniqueChannel('oom.watched');
    broker.watch(watched);
    const before = await publish(broker, watched, 'before');
    expect(before).toMatchObject({ seq: 1 });
    expect(before.epoch).not.toMatch(/^local:/);

    await outOfMemory();
    const local = await publish(broker, watched, 'during');
    expect(local.epoch).toMatch(/^local:/);
    expect(delivered).toContainEqual(local);
    expect(broker.health()).toEqual(REFUSING);
    const nobody = uniqueChannel('oom.nobody');
    await expect(publish(broker, nobody, 'lost')).rejects.toBeInstanceOf(BrokerUnavailableError);
    expect(delivered.some((m) => m.channel === nobody)).toBe(false);
    // Nothing was written: Redis still numbers the channel where it was.
    expect(await inspector.hget(`nexus:chan:${watched}`, 'seq')).toBe('1');
    expect(await broker.position(watched)).toEqual({ seq: 1, epoch: before.epoch });

    await inspector.config('SET', 'maxmemory', '0');
    expect(await pollUntil(() => broker.health().healthy, 3000)).toBe(true);
    expect(broker.health()).toEqual(UP);
    // The seq goes on within the same epoch.
    expect(await publish(broker, watched, 'after')).toMatchObject({ seq: 2, epoch: before.epoch });
    expect(await publish(broker, nobody, 'fine')).toMatchObject({ seq: 1 });
  });

  it('the periodic probe notices refused writes without any publish, and notices their end', async () => {
    const broker = await startBroker();
    expect(broker.health()).toEqual(UP);
    await outOfMemory();
    expect(await pollUntil(() => !broker.health().healthy, 3000)).toBe(true);
    expect(broker.health()).toEqual(REFUSING);
    await inspector.config('SET', 'maxmemory', '0');
    expect(await pollUntil(() => broker.health().healthy, 3000)).toBe(true);
  });

  it('end to end: /healthz answers 503 "refusing writes" while Redis is out of memory; a local subscriber still gets a local-epoch message; then 200 again', async () => {
    const server = await startServer({ env: { NEXUS_REDIS_URL: redis.url, LOG_LEVEL: 'silent' } });
    const clients: TestClient[] = [];
    try {
      expect(await restJson(server.url, '/healthz')).toMatchObject({ status: 200, body: { redis: 'up' } });
      const channel = uniqueChannel('oom.e2e');
      const subscriber = await TestClient.connect(server.wsUrl, await tokenFor('oom-sub'));
      const publisher = await TestClient.connect(server.wsUrl, await tokenFor('oom-pub', 'operator'));
      clients.push(subscriber, publisher);
      await subscriber.subscribe(channel);

      await outOfMemory();
      let health = await restJson(server.url, '/healthz');
      await pollUntil(async () => (health = await restJson(server.url, '/healthz')).status === 503, 3000);
      expect(health).toMatchObject({
        status: 503,
        body: { status: 'degraded', broker: 'redis', redis: 'refusing writes' },
      });
      expect(await publisher.publish(channel, { n: 1 })).toMatchObject({ type: 'ack', seq: 1 });
      const message = await waitForFrame(subscriber, (f) => f.type === 'message' && f.channel === channel);
      expect(message).toMatchObject({ data: { n: 1 }, from: 'oom-pub' });
      expect(String(message.epoch)).toMatch(/^local:/);

      await inspector.config('SET', 'maxmemory', '0');
      expect(await pollUntil(async () => (await restJson(server.url, '/healthz')).status === 200, 3000)).toBe(true);
      expect(await restJson(server.url, '/healthz')).toMatchObject({
        status: 200,
        body: { status: 'ok', redis: 'up' },
      });
    } finally {
      await Promise.all(clients.map((client) => client.close()));
      await server.close();
    }
  });
});

describe('Redis as a read-only replica (after a failover)', () => {
  let replica: TestRedis;
  let primary: TestRedis;
  let inspector: Redis;
  let broker: RedisBroker;

  beforeAll(async () => {
    [replica, primary] = await Promise.all([startRedis(), startRedis()]);
    inspector = await connectInspector(replica.url);
    broker = new RedisBroker({ url: replica.url, historySize: 100, maintenanceIntervalMs: 100 });
    await broker.start();
  });
  afterAll(async () => {
    await broker?.close();
    inspector?.disconnect();
    await Promise.all([replica?.stop(), primary?.stop()]);
  });

  it('READONLY is a refusal too: unhealthy, local delivery or BrokerUnavailableError; healthy again after REPLICAOF NO ONE', async () => {
    const watched = uniqueChannel('ro.watched');
    broker.watch(watched);
    const primaryInspector = await connectInspector(primary.url);
    await primaryInspector.config('SET', 'repl-diskless-sync-delay', '0');
    primaryInspector.disconnect();
    // Load the primary's data straight from the socket: no dump.rdb written in the working directory.
    await inspector.config('SET', 'repl-diskless-load', 'swapdb');
    await inspector.call('REPLICAOF', '127.0.0.1', String(primary.port));
    const synced = await pollUntil(
      async () => (await inspector.info('replication')).includes('master_link_status:up'),
      5000,
      50,
    );
    expect(synced).toBe(true);
    expect(await pollUntil(() => !broker.health().healthy, 3000)).toBe(true);
    expect(broker.health()).toEqual(REFUSING);
    expect((await publish(broker, watched, 1)).epoch).toMatch(/^local:/);
    await expect(publish(broker, uniqueChannel('ro.nobody'), 1)).rejects.toBeInstanceOf(BrokerUnavailableError);

    await inspector.call('REPLICAOF', 'NO', 'ONE');
    expect(await pollUntil(() => broker.health().healthy, 3000)).toBe(true);
    const message = await publish(broker, watched, 2);
    expect(message.epoch).not.toMatch(/^local:/);
  });
});

describe('Redis unreachable', () => {
  it('a publish reaches local listeners under the local epoch; one nobody here listens to is refused', async () => {
    const broker = new RedisBroker({ url: `redis://127.0.0.1:${await freePort()}`, historySize: 100 });
    try {
      await expect(broker.start()).rejects.toThrow();
      expect(broker.health()).toEqual({ healthy: false, details: { redis: 'down' } });
      const watched = uniqueChannel('down.watched');
      broker.watch(watched);
      const first = await publish(broker, watched, 1);
      expect(first.epoch).toMatch(/^local:/);
      expect(await publish(broker, watched, 2)).toMatchObject({ seq: first.seq + 1, epoch: first.epoch });
      await expect(publish(broker, uniqueChannel('down.nobody'), 1)).rejects.toBeInstanceOf(BrokerUnavailableError);
      await expect(broker.replay(watched, 0, undefined)).rejects.toThrow();
    } finally {
      await broker.close();
    }
  });
});
