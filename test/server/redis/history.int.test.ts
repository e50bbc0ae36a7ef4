/**
 * Bounded history in Redis, against a real redis-server: every channel key expires, aged messages
 * are neither kept nor replayed, a channel Redis forgot comes back under a new epoch (so a client
 * holding the old one is told it has a gap), and replays are read in pages, never as one reply.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { uniqueChannel, waitForFrame, deliveries } from '../../helpers/assertions.js';
import { pollUntil } from '../../helpers/raw.js';
import { startRedis, type TestRedis } from '../../helpers/redis.js';
import { startServer } from '../../helpers/server.js';
import { tokenFor } from '../../helpers/tokens.js';
import { TestClient } from '../../helpers/ws-client.js';
import {
  collectPages,
  HistoryTrimmedError,
  replayRecent,
  type BrokerMessage,
  RedisBroker,
  type RedisBrokerOptions,
} from '../../../src/server/broker/index.js';

const chanKey = (channel: string) => `nexus:chan:${channel}`;
const histKey = (channel: string) => `nexus:hist:${channel}`;

describe('Redis history bounds', () => {
  let redis: TestRedis;
  let inspector: Redis;
  const brokers: RedisBroker[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    inspector = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await inspector.connect();
  });
  afterEach(async () => {
    await Promise.all(brokers.splice(0).map((broker) => broker.close()));
  });
  afterAll(async () => {
    inspector?.disconnect();
    await redis?.stop();
  });

  const brokerWith = async (options: Partial<RedisBrokerOptions> = {}) => {
    const broker = new RedisBroker({ url: redis.url, historySize: 1000, ...options });
    brokers.push(broker);
    await broker.start();
    return broker;
  };
  const publish = (broker: RedisBroker, channel: string, data: unknown) =>
    broker.publish({ channel, kind: 'message', from: 'u', data });
  const replayedSeqs = async (broker: RedisBroker, channel: string, since: number, epoch?: string) => {
    const replay = await broker.replay(channel, since, epoch);
    return replay.recovered ? (await collectPages(replay.pages)).map((m) => m.seq) : 'not recovered';
  };
  /** Calls of one Redis command since the last CONFIG RESETSTAT. */
  const callsOf = async (command: string) => {
    const info = await inspector.info('commandstats');
    const match = new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info);
    return match ? Number(match[1]) : 0;
  };

  it("a channel's keys expire after the TTL: PTTL is set on the seq/epoch hash and the history list", async () => {
    const broker = await brokerWith({ historyTtlSeconds: 60 });
    const channel = uniqueChannel('ttl.keys');
    await publish(broker, channel, { n: 1 });
    for (const key of [chanKey(channel), histKey(channel)]) {
      const pttl = await inspector.pttl(key);
      expect(pttl, key).toBeGreaterThan(0);
      expect(pttl, key).toBeLessThanOrEqual(60_000);
    }
    // A channel watched here gets its generation when its position is read, with a TTL too.
    const watched = uniqueChannel('ttl.position');
    broker.watch(watched);
    await broker.position(watched);
    expect(await inspector.pttl(chanKey(watched))).toBeGreaterThan(0);
    broker.unwatch(watched);
    // No key of the old layout is left behind.
    expect(await inspector.exists(`nexus:seq:${channel}`)).toBe(0);
  });

  it('messages older than the TTL are not replayed, and a publish drops them from the list', async () => {
    const clock = { ms: Date.now() };
    const broker = await brokerWith({ historyTtlSeconds: 60, now: () => clock.ms });
    const channel = uniqueChannel('ttl.age');
    const start = clock.ms;
    await publish(broker, channel, 1);
    await publish(broker, channel, 2);
    clock.ms = start + 30_000;
    const third = await publish(broker, channel, 3);
    clock.ms = start + 70_000; // 1 and 2 are 70 s old, 3 is 40 s old
    expect(await replayedSeqs(broker, channel, 0)).toBe('not recovered');
    expect(await replayedSeqs(broker, channel, 1, third.epoch)).toBe('not recovered');
    expect(await replayedSeqs(broker, channel, 2, third.epoch)).toEqual([3]);
    expect((await collectPages((await replayRecent(broker, channel, 100)).pages)).map((m) => m.seq)).toEqual([3]);
    expect(await inspector.llen(histKey(channel))).toBe(3);
    await publish(broker, channel, 4);
    expect(await inspector.llen(histKey(channel))).toBe(2);
    clock.ms = start + 95_000; // 3 is 65 s old
    expect(await replayedSeqs(broker, channel, 2, third.epoch)).toBe('not recovered');
    expect(await replayedSeqs(broker, channel, 3, third.epoch)).toEqual([4]);
    expect(await broker.position(channel)).toEqual({ seq: 4, epoch: third.epoch });
  });

  it('a channel whose keys expired comes back at seq 1 under a new epoch; the old epoch is not recovered', async () => {
    const broker = await brokerWith({ historyTtlSeconds: 1 });
    const channel = uniqueChannel('ttl.expired');
    await publish(broker, channel, 1);
    const before = await publish(broker, channel, 2);
    expect(await pollUntil(async () => (await inspector.exists(chanKey(channel), histKey(channel))) === 0, 4000)).toBe(
      true,
    );
    // Read without a watcher: nothing is created, and the epoch answered names no generation.
    const position = await broker.position(channel);
    expect(position.seq).toBe(0);
    expect(position.epoch).not.toBe(before.epoch);
    expect(position.epoch).toMatch(/\.0$/);
    const after = await publish(broker, channel, 3);
    expect(after.seq).toBe(1);
    expect(after.epoch).not.toBe(before.epoch);
    expect(after.epoch).not.toBe(position.epoch);
    // A generation may have come and gone since that read: resuming from it is not recovered.
    expect(await broker.replay(channel, 0, position.epoch)).toMatchObject({ recovered: false, seq: 1 });
    expect(await broker.replay(channel, 2, before.epoch)).toMatchObject({ recovered: false, seq: 1 });
    expect(await broker.replay(channel, 0, before.epoch)).toMatchObject({ recovered: false });
    expect(await replayedSeqs(broker, channel, 0, after.epoch)).toEqual([1]);
  });

  it('reads of channels Redis does not know create nothing: position, replay with since, recent history, REST history', async () => {
    const broker = await brokerWith();
    const server = await startServer({ env: { NEXUS_REDIS_URL: redis.url, LOG_LEVEL: 'error' } });
    try {
      // Other tests' channel keys may expire meanwhile: what counts is that none names these channels.
      const channelKeys = async () =>
        [...(await inspector.keys('nexus:chan:*')), ...(await inspector.keys('nexus:hist:*'))].sort();
      const known = uniqueChannel('known');
      await publish(broker, known, { n: 1 });
      const generation = await inspector.get('nexus:gen');
      const unknowns: string[] = [];
      for (let i = 0; i < 20; i++) {
        const unknown = uniqueChannel('never');
        unknowns.push(unknown);
        expect(await broker.position(unknown)).toMatchObject({ seq: 0 });
        expect(await broker.replay(unknown, 5, 'some-epoch.3')).toMatchObject({ recovered: false, seq: 0 });
        expect(await replayedSeqs(broker, unknown, 0)).toEqual([]);
        expect(await collectPages((await replayRecent(broker, unknown, 100)).pages)).toEqual([]);
        const rest = await fetch(`${server.url}/api/channels/${unknown}/history?since=3`, {
          headers: { authorization: `Bearer ${await tokenFor('reader')}` },
        });
        expect(rest.status).toBe(200);
      }
      const keys = await channelKeys();
      expect(keys.some((key) => key.includes(known))).toBe(true); // the patterns do find a channel's keys
      expect(keys.filter((key) => unknowns.some((unknown) => key.includes(unknown)))).toEqual([]);
      expect(await inspector.get('nexus:gen')).toBe(generation);
    } finally {
      await server.close();
    }
  });

  it('a deployment-wide byte budget: 20 × 300 KB over 4 channels keep within 2 MB, the oldest leave first, replays from before them are not recovered', async () => {
    await inspector.flushall();
    const budgetBytes = 2 * 1024 * 1024;
    const broker = await brokerWith({ historyMaxBytes: budgetBytes });
    const other = await brokerWith({ historyMaxBytes: budgetBytes });
    const channels = [0, 1, 2, 3].map((i) => uniqueChannel(`budget.${i}`));
    const published: BrokerMessage[] = [];
    for (let n = 0; n < 20; n++) {
      // Two processes publish: the budget is the deployment's, not one process's.
      const from = n % 2 === 0 ? broker : other;
      published.push(await publish(from, channels[n % 4]!, { n, blob: 'x'.repeat(300 * 1024) }));
    }
    const lists = await Promise.all(channels.map((c) => inspector.lrange(histKey(c), 0, -1)));
    const keptBytes = lists.flat().reduce((sum, item) => sum + Buffer.byteLength(item), 0);
    const memory = await Promise.all(
      [...channels.map(histKey), 'nexus:hist-order'].map(
        async (key) => ((await inspector.call('MEMORY', 'USAGE', key)) as number | null) ?? 0,
      ),
    );
    expect(keptBytes).toBeLessThanOrEqual(budgetBytes);
    expect(memory.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(budgetBytes * 1.1);
    expect(Number(await inspector.get('nexus:hist-bytes'))).toBeLessThanOrEqual(budgetBytes);
    // The newest messages are kept, the oldest left first: kept = a suffix of the publish order.
    const kept = lists.flatMap((items) => items.map((item) => JSON.parse(item.slice(item.indexOf('|') + 1)).data.n));
    expect(kept.length).toBeGreaterThanOrEqual(5);
    expect(kept.sort((a, b) => a - b)).toEqual(Array.from({ length: kept.length }, (_, i) => 20 - kept.length + i));
    // Replay: from before the trimmed messages is not recovered; from the kept ones it is, in order.
    const last = published[19]!;
    expect(await broker.replay(channels[0]!, 0, published[0]!.epoch)).toMatchObject({ recovered: false });
    expect(await replayedSeqs(other, last.channel, last.seq - 1, last.epoch)).toEqual([last.seq]);
    const oldestKept = published[20 - kept.length]!;
    expect(await replayedSeqs(broker, oldestKept.channel, oldestKept.seq - 1, oldestKept.epoch)).toEqual(
      published.filter((m) => m.channel === oldestKept.channel && m.seq >= oldestKept.seq).map((m) => m.seq),
    );
    expect(await broker.replay(oldestKept.channel, oldestKept.seq - 2, oldestKept.epoch)).toMatchObject({
      recovered: false,
    });
  });

  it('the byte budget holds under count and age trims: the running total matches what the lists hold', async () => {
    await inspector.flushall();
    const clock = { ms: Date.now() };
    const broker = await brokerWith({ historySize: 3, historyTtlSeconds: 60, now: () => clock.ms });
    const channels = [0, 1, 2].map((i) => uniqueChannel(`account.${i}`));
    for (let n = 0; n < 30; n++) await publish(broker, channels[n % 3]!, { n, pad: 'y'.repeat(n * 100) });
    const accounted = async () => {
      const lists = await Promise.all(channels.map((c) => inspector.lrange(histKey(c), 0, -1)));
      return { items: lists.flat().length, index: await inspector.zcard('nexus:hist-order') };
    };
    // Count trims (3 per channel) take their items out of the index too.
    expect(await accounted()).toEqual({ items: 9, index: 9 });
    clock.ms += 61_000; // everything aged: the next publish sweeps the aged entries
    await publish(broker, channels[0]!, { n: 'late' });
    expect((await accounted()).index).toBeLessThanOrEqual(9);
    expect(await inspector.zcard('nexus:hist-order')).toBe(await inspector.llen(histKey(channels[0]!)));
  });

  it("a watched channel keeps its seq and epoch while nobody publishes (its hash's expiry is refreshed); its aged history goes", async () => {
    const broker = await brokerWith({ historyTtlSeconds: 1 });
    const channel = uniqueChannel('ttl.watched');
    broker.watch(channel);
    const first = await publish(broker, channel, 1);
    await new Promise((resolve) => setTimeout(resolve, 1600));
    expect(await inspector.exists(histKey(channel))).toBe(0);
    expect(await broker.position(channel)).toEqual({ seq: 1, epoch: first.epoch });
    expect(await broker.replay(channel, 0, first.epoch)).toMatchObject({ recovered: false, seq: 1 });
    expect(await publish(broker, channel, 2)).toMatchObject({ seq: 2, epoch: first.epoch });
    broker.unwatch(channel);
    expect(await pollUntil(async () => (await inspector.exists(chanKey(channel))) === 0, 4000)).toBe(true);
  });

  it('Redis losing its data (FLUSHALL) gives every channel a new epoch: a client holding the old one gets recovered false', async () => {
    const broker = await brokerWith();
    const channel = uniqueChannel('flush');
    const before = await publish(broker, channel, 1);
    await inspector.flushall();
    const after = await publish(broker, channel, 2);
    expect(after.seq).toBe(1);
    expect(after.epoch).not.toBe(before.epoch);
    expect(await broker.replay(channel, 0, before.epoch)).toMatchObject({ recovered: false });
  });

  it('a replay of a large history is read in pages, one script call each, only as far as the consumer reads', async () => {
    const broker = await brokerWith({ replayPageSize: 100 });
    const channel = uniqueChannel('pages');
    await Promise.all(Array.from({ length: 1000 }, (_, i) => publish(broker, channel, { i })));
    await inspector.config('RESETSTAT');
    const replay = await broker.replay(channel, 0, undefined);
    expect(replay).toMatchObject({ recovered: true, seq: 1000 });
    const iterator = replay.pages[Symbol.asyncIterator]();
    const firstTwo = [await iterator.next(), await iterator.next()].map((r) => r.value as BrokerMessage[]);
    await iterator.return?.();
    expect(firstTwo.map((page) => page.length)).toEqual([100, 100]);
    // One script call for the position, one per page read; the rest was never fetched.
    expect((await callsOf('evalsha')) + (await callsOf('eval'))).toBe(3);
    const lrangeForTwoPages = await callsOf('lrange');
    expect(lrangeForTwoPages).toBeGreaterThan(0);

    await inspector.config('RESETSTAT');
    const pages: BrokerMessage[][] = [];
    for await (const page of (await broker.replay(channel, 0, undefined)).pages) pages.push([...page]);
    expect(pages).toHaveLength(10);
    expect(pages.every((page) => page.length === 100)).toBe(true);
    expect(pages.flat().map((m) => m.seq)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect(
      pages
        .flat()
        .map((m) => (m.data as { i: number }).i)
        .sort((x, y) => x - y),
    ).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect((await callsOf('evalsha')) + (await callsOf('eval'))).toBe(11);
    // LRANGEs read small slices: five times the two pages above for ten pages.
    expect(await callsOf('lrange')).toBe(5 * lrangeForTwoPages);
  });

  it('a page also ends at its byte budget, so large messages never come back all in one reply', async () => {
    const broker = await brokerWith({ replayPageSize: 100, replayPageBytes: 64 * 1024 });
    const channel = uniqueChannel('pages.bytes');
    const payload = 'x'.repeat(20 * 1024);
    for (let i = 0; i < 20; i++) await publish(broker, channel, payload);
    const sizes: number[] = [];
    for await (const page of (await broker.replay(channel, 0, undefined)).pages) sizes.push(page.length);
    expect(sizes.reduce((sum, n) => sum + n, 0)).toBe(20);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(4);
    expect(sizes.length).toBeGreaterThanOrEqual(5);
  });

  it('history trimmed past the next page while reading ends the iteration with HistoryTrimmedError', async () => {
    const broker = await brokerWith({ historySize: 50, replayPageSize: 10 });
    const channel = uniqueChannel('pages.trimmed');
    for (let i = 1; i <= 50; i++) await publish(broker, channel, i);
    const replay = await broker.replay(channel, 0, undefined);
    const iterator = replay.pages[Symbol.asyncIterator]();
    expect(((await iterator.next()).value as BrokerMessage[]).map((m) => m.seq)).toEqual(
      Array.from({ length: 10 }, (_, i) => i + 1),
    );
    for (let i = 51; i <= 80; i++) await publish(broker, channel, i); // keeps 31..80
    const error = await iterator.next().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(HistoryTrimmedError);
    expect(error).toMatchObject({ channel, nextSeq: 11 });
  });

  it('end to end: after the TTL, a client resubscribing with the old epoch gets recovered false and the new generation', async () => {
    const server = await startServer({ env: { NEXUS_REDIS_URL: redis.url, NEXUS_HISTORY_TTL_S: '1' } });
    try {
      const channel = uniqueChannel('ttl.e2e');
      const subscriber = await TestClient.connect(server.wsUrl, await tokenFor('ttl-sub'));
      const publisher = await TestClient.connect(server.wsUrl, await tokenFor('ttl-pub', 'operator'));
      await subscriber.subscribe(channel);
      await publisher.publish(channel, { n: 1 });
      const last = await waitForFrame(subscriber, (f) => f.type === 'message' && f.channel === channel);
      await subscriber.close(); // nobody watches the channel any more: it may expire
      expect(await pollUntil(async () => (await inspector.exists(chanKey(channel))) === 0, 4000)).toBe(true);
      expect(await publisher.publish(channel, { n: 2 })).toMatchObject({ type: 'ack', seq: 1 });
      const again = await TestClient.connect(server.wsUrl, await tokenFor('ttl-sub'));
      const reply = await again.subscribe(channel, { since: last.seq, epoch: last.epoch });
      expect(reply).toMatchObject({ type: 'subscribed', seq: 1, recovered: false });
      expect(reply.epoch).not.toBe(last.epoch);
      await again.assertAlive();
      expect(deliveries(again, channel)).toEqual([]);
      await Promise.all([again.close(), publisher.close()]);
    } finally {
      await server.close();
    }
  });
});
