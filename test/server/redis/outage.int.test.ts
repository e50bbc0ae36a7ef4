/**
 * Redis outages under running Nexus processes:
 * the real redis-server is stopped and restarted on the same port (without persistence, so it
 * comes back empty: new epoch, seqs from 1). While it is down every process reports 503
 * degraded, local clients keep working under a `local:` epoch and replays answer
 * `history_unavailable`; afterwards health and cross-process delivery come back by themselves.
 * Also: one process cut off from a Redis the others still reach (it catches up from history once
 * back), and a process started while
 * Redis is unreachable.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NexusWebSocket } from '@nexus-realtime/client';
import type { Task } from '@nexus-realtime/client/protocol';
import { clientPool, deliveries, restJson, waitForFrame } from '../../helpers/assertions.js';
import { pollUntil } from '../../helpers/raw.js';
import { startRedis, type TestRedis } from '../../helpers/redis.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { startSwitchProxy } from '../../helpers/switch-proxy.js';
import { tokenFor } from '../../helpers/tokens.js';
import { sleep, type Frame } from '../../helpers/ws-client.js';
import type { RedisBroker } from '../../../src/server/broker/index.js';

type Data = Record<string, unknown>;
const dataOf = (f: Frame): Data => (typeof f.data === 'object' && f.data !== null ? (f.data as Data) : {});
const seqsOf = (frames: readonly Frame[]) => frames.map((f) => f.seq as number);

let channelCounter = 0;
const freshChannel = (prefix: string) =>
  `${prefix}.${process.pid}.${++channelCounter}.${Math.random().toString(36).slice(2, 8)}`;

/** Polls `/healthz` until it answers `status` (bounded); returns the last answer. */
async function healthBecomes(
  server: { url: string },
  status: 200 | 503,
  timeoutMs = 6000,
): Promise<{ status: number; body: unknown }> {
  let last = { status: 0, body: undefined as unknown };
  await pollUntil(
    async () => {
      last = await restJson(server.url, '/healthz');
      return last.status === status;
    },
    timeoutMs,
    50,
  );
  return last;
}

const DEGRADED = { status: 503, body: { status: 'degraded', broker: 'redis', redis: 'down' } };
const HEALTHY = { status: 200, body: { status: 'ok', broker: 'redis', redis: 'up' } };

describe('Redis stopped and restarted under two running processes', () => {
  let redis: TestRedis;
  let a: TestServer;
  let b: TestServer;
  const extraServers: TestServer[] = [];
  const pool = clientPool();

  beforeAll(async () => {
    redis = await startRedis();
    const env = { NEXUS_REDIS_URL: redis.url, LOG_LEVEL: 'error' };
    [a, b] = await Promise.all([startServer({ env }), startServer({ env })]);
  });
  afterEach(async () => {
    await pool.closeAll();
    // Every test leaves Redis running and both processes healthy for the next one.
    await redis.restart().catch(() => undefined);
    for (const server of [a, b]) await healthBecomes(server, 200);
  });
  afterAll(async () => {
    await pool.closeAll();
    await Promise.all([a, b, ...extraServers].map((s) => s?.close()));
    await redis?.stop();
  });

  const connect = async (server: TestServer, userId: string, role = 'viewer') =>
    pool.connect(server.wsUrl, await tokenFor(userId, role));
  /** Stops Redis and waits until both processes report it down. */
  const stopRedis = async () => {
    await redis.stop();
    for (const server of [a, b]) expect(await healthBecomes(server, 503)).toMatchObject(DEGRADED);
  };
  /** Restarts Redis and waits until both processes report it up again. */
  const restartRedis = async () => {
    await redis.restart();
    for (const server of [a, b]) expect(await healthBecomes(server, 200, 8000)).toMatchObject(HEALTHY);
  };

  it('/healthz answers 503 degraded with redis "down" on every process while Redis is stopped, then 200 ok again by itself after the restart', async () => {
    for (const server of [a, b]) expect(await restJson(server.url, '/healthz')).toMatchObject(HEALTHY);
    await redis.stop();
    for (const server of [a, b]) expect(await healthBecomes(server, 503)).toMatchObject(DEGRADED);
    await sleep(500);
    for (const server of [a, b]) expect(await restJson(server.url, '/healthz')).toMatchObject(DEGRADED);
    const restartedAt = Date.now();
    await redis.restart();
    for (const server of [a, b]) expect(await healthBecomes(server, 200, 8000)).toMatchObject(HEALTHY);
    // ioredis retries at most every 2 s.
    expect(Date.now() - restartedAt).toBeLessThan(5000);
  });

  it('while Redis is down, a subscriber and a publisher on one process still exchange messages under a "local:" epoch, pings are answered, since answers history_unavailable', async () => {
    const channel = freshChannel('outage.local');
    await stopRedis();
    const subscriber = await connect(a, 'local-sub');
    const publisher = await connect(a, 'local-pub', 'operator');
    const onOtherProcess = await connect(b, 'other-sub');
    const subscribed = await subscriber.subscribe(channel);
    expect(subscribed).toMatchObject({ type: 'subscribed', channel, seq: 0 });
    expect(String(subscribed.epoch)).toMatch(/^local:/);
    expect(await onOtherProcess.subscribe(channel)).toMatchObject({ type: 'subscribed' });

    expect(await publisher.publish(channel, { n: 1 })).toMatchObject({ type: 'ack', seq: 1 });
    expect(await publisher.publish(channel, { n: 2 })).toMatchObject({ type: 'ack', seq: 2 });
    await waitForFrame(subscriber, (f) => f.channel === channel && dataOf(f).n === 2);
    const got = deliveries(subscriber, channel);
    expect(got.map((f) => [f.seq, f.data, f.from, f.epoch])).toEqual([
      [1, { n: 1 }, 'local-pub', subscribed.epoch],
      [2, { n: 2 }, 'local-pub', subscribed.epoch],
    ]);
    // Documented: local publishes are seen by no other process.
    await sleep(100);
    expect(deliveries(onOtherProcess, channel)).toEqual([]);

    for (const client of [subscriber, publisher, onOtherProcess]) await client.assertAlive();
    const replay = await subscriber.subscribe(freshChannel('outage.since'), { since: 0 });
    expect(replay).toMatchObject({ type: 'error', code: 'history_unavailable' });
    const sameChannel = await publisher.subscribe(channel, { since: 1, epoch: subscribed.epoch });
    expect(sameChannel).toMatchObject({ type: 'error', code: 'history_unavailable' });
    // The refused subscribe left nothing behind; the connection still works.
    await publisher.assertAlive();
    await restartRedis();
  });

  it('a subscriber that was already receiving a channel (seq 3) before the outage still receives every local publish on its process during the outage', async () => {
    const channel = freshChannel('outage.before');
    const subscriber = await connect(a, 'before-sub');
    const publisher = await connect(a, 'before-pub', 'operator');
    await subscriber.subscribe(channel);
    for (let n = 1; n <= 3; n++) await publisher.publish(channel, { n });
    await waitForFrame(subscriber, (f) => f.channel === channel && dataOf(f).n === 3);

    await stopRedis();
    const acks = [];
    for (let n = 1; n <= 4; n++) acks.push(await publisher.publish(channel, { n: `d${n}` }));
    expect(acks.map((ack) => ack.type)).toEqual(['ack', 'ack', 'ack', 'ack']);
    await pollUntil(() => deliveries(subscriber, channel).some((f) => dataOf(f).n === 'd4'), 2000);
    const during = deliveries(subscriber, channel).filter((f) => String(dataOf(f).n).startsWith('d'));
    // payload@seq, as delivered and as acked to the publisher.
    expect(during.map((f) => `${String(dataOf(f).n)}@${String(f.seq)}`)).toEqual(
      acks.map((ack, i) => `d${i + 1}@${String(ack.seq)}`),
    );
    expect(during.every((f) => String(f.epoch).startsWith('local:'))).toBe(true);
    await restartRedis();
  });

  it('after the restart, cross-process delivery resumes for a client subscribing then: a new epoch, seqs restart at 1', async () => {
    const channel = freshChannel('outage.after');
    const publisher = await connect(a, 'after-pub', 'operator');
    const before = await publisher.publish(channel, { n: 1 });
    const probe = await connect(b, 'after-probe');
    const oldEpoch = (await probe.subscribe(channel)).epoch;
    expect(before).toMatchObject({ type: 'ack', seq: 1 });

    await stopRedis();
    await restartRedis();
    const subscriber = await connect(b, 'after-sub');
    expect(await subscriber.subscribe(channel)).toMatchObject({ type: 'subscribed', seq: 0 });
    expect(await publisher.publish(channel, { n: 'after' })).toMatchObject({ type: 'ack', seq: 1 });
    const message = await waitForFrame(subscriber, (f) => f.type === 'message' && f.channel === channel, {
      timeoutMs: 3000,
    });
    expect(message).toMatchObject({ seq: 1, data: { n: 'after' }, from: 'after-pub' });
    expect(message.epoch).not.toBe(oldEpoch);
    expect(String(message.epoch)).not.toMatch(/^local:/);
    // Every process shares the new epoch.
    expect((await (await connect(a, 'after-check')).subscribe(channel)).epoch).toBe(message.epoch);
  });

  it('after the restart, a subscribe answered before the first publish names the new generation, so resuming from it replays what was published meanwhile', async () => {
    const channel = freshChannel('outage.first');
    await stopRedis();
    await restartRedis();
    const early = await connect(b, 'first-sub');
    const position = await early.subscribe(channel);
    expect(position).toMatchObject({ type: 'subscribed', seq: 0 });
    await early.close();
    const publisher = await connect(a, 'first-pub', 'operator');
    for (let n = 1; n <= 2; n++) await publisher.publish(channel, { n });
    const resumed = await connect(b, 'first-sub');
    const reply = await resumed.subscribe(channel, { since: position.seq, epoch: position.epoch });
    await pollUntil(() => deliveries(resumed, channel).length >= 2, 2000);
    expect({
      epoch: position.epoch === '' ? '(empty)' : 'named',
      reply: reply.type === 'error' ? `error ${String(reply.code)}` : reply.type,
      recovered: reply.recovered,
      replayed: seqsOf(deliveries(resumed, channel)),
    }).toEqual({ epoch: 'named', reply: 'subscribed', recovered: true, replayed: [1, 2] });
  });

  it('after the restart, a NexusWebSocket client that subscribed before the first publish and then reconnects is still subscribed and receives', async () => {
    const channel = freshChannel('outage.first.client');
    await stopRedis();
    await restartRedis();
    const proxy = await startSwitchProxy(b.port);
    const client = new NexusWebSocket(proxy.url, await tokenFor('first-client'), {
      initialDelayMs: 50,
      maxDelayMs: 200,
    });
    const received: unknown[] = [];
    const errors: string[] = [];
    let connections = 0;
    client.on('connected', () => connections++);
    client.on('error', ({ code }) => errors.push(code));
    client.onChannel(channel, (data) => received.push(data));
    try {
      client.connect();
      expect(await client.subscribe(channel)).toMatchObject({ ok: true, seq: 0 });
      proxy.cutAll();
      expect(await pollUntil(() => connections === 2 && client.state === 'open', 5000)).toBe(true);
      await sleep(200); // the resubscribe is answered
      const publisher = await connect(a, 'first-client-pub', 'operator');
      await publisher.publish(channel, { n: 1 });
      await pollUntil(() => received.length > 0, 2000);
      expect({ received, errors, subscriptions: client.subscriptions.map((sub) => sub.channel) }).toEqual({
        received: [{ n: 1 }],
        errors: [],
        subscriptions: [channel],
      });
    } finally {
      client.disconnect();
      await proxy.close();
    }
  });

  it('after the restart, a subscriber that lived through the outage on B receives every message published on A (new epoch, seqs from 1)', async () => {
    const channel = freshChannel('outage.lived');
    const subscriber = await connect(b, 'lived-sub');
    const publisher = await connect(a, 'lived-pub', 'operator');
    await subscriber.subscribe(channel);
    for (let n = 1; n <= 3; n++) await publisher.publish(channel, { n, phase: 'before' });
    await waitForFrame(subscriber, (f) => f.channel === channel && dataOf(f).n === 3);
    const oldEpoch = deliveries(subscriber, channel)[0]!.epoch;

    await stopRedis();
    await restartRedis();
    for (let n = 1; n <= 5; n++)
      expect(await publisher.publish(channel, { n, phase: 'after' })).toMatchObject({ type: 'ack', seq: n });
    await pollUntil(
      () => deliveries(subscriber, channel).some((f) => dataOf(f).phase === 'after' && dataOf(f).n === 5),
      3000,
    );
    await sleep(100);
    const after = deliveries(subscriber, channel).filter((f) => dataOf(f).phase === 'after');
    expect(after.map((f) => dataOf(f).n)).toEqual([1, 2, 3, 4, 5]);
    expect(seqsOf(after)).toEqual([1, 2, 3, 4, 5]);
    expect(after.every((f) => f.epoch !== oldEpoch)).toBe(true);
  });

  it("Redis subscriptions follow local interest through an outage: a channel first subscribed on B during it gets A's messages after the restart; one B stopped watching during it is unsubscribed", async () => {
    const stayed = freshChannel('outage.stayed');
    const joined = freshChannel('outage.joined');
    const left = freshChannel('outage.left');
    const stayer = await connect(b, 'stay-sub');
    const leaver = await connect(b, 'leave-sub');
    await stayer.subscribe(stayed);
    await leaver.subscribe(left);
    await stopRedis();
    const joiner = await connect(b, 'join-sub');
    expect(await joiner.subscribe(joined)).toMatchObject({ type: 'subscribed' });
    await leaver.close();
    expect(await pollUntil(() => !(b.broker as RedisBroker).watchedChannels.includes(left), 2000)).toBe(true);
    await sleep(1000); // a realistic outage: ioredis retries a few times meanwhile
    await restartRedis();
    await sleep(300); // restored subscriptions are answered

    const publisher = await connect(a, 'follow-pub', 'operator');
    for (const channel of [stayed, joined, left]) await publisher.publish(channel, { on: channel });
    await pollUntil(() => deliveries(joiner, joined).length > 0 && deliveries(stayer, stayed).length > 0, 3000);
    const inspector = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await inspector.connect();
      const reply = (await inspector.call(
        'PUBSUB',
        'NUMSUB',
        ...[stayed, joined, left].map((c) => `nexus:msg:${c}`),
      )) as (string | number)[];
      const watchedByB = (b.broker as RedisBroker).watchedChannels;
      expect({
        delivered: { stayed: deliveries(stayer, stayed).length, joined: deliveries(joiner, joined).length },
        watchedByB: {
          stayed: watchedByB.includes(stayed),
          joined: watchedByB.includes(joined),
          left: watchedByB.includes(left),
        },
        redisSubscribers: { stayed: Number(reply[1]), joined: Number(reply[3]), left: Number(reply[5]) },
      }).toEqual({
        delivered: { stayed: 1, joined: 1 },
        watchedByB: { stayed: true, joined: true, left: false },
        redisSubscribers: { stayed: 1, joined: 1, left: 0 },
      });
    } finally {
      inspector.disconnect();
    }
  });

  it('a NexusWebSocket subscriber connected to B through the outage gets one gap event naming the new epoch and keeps receiving messages from A after the restart', async () => {
    const channel = freshChannel('outage.client');
    const client = new NexusWebSocket(b.wsUrl, await tokenFor('lib-sub'), { initialDelayMs: 50, maxDelayMs: 200 });
    const received: { n: unknown; phase: unknown; seq: number; epoch: string }[] = [];
    const gaps: unknown[] = [];
    const disconnects: unknown[] = [];
    client.on('gap', (gap) => gaps.push(gap));
    client.on('disconnected', (event) => disconnects.push(event));
    client.onChannel(channel, (data, frame) =>
      received.push({ n: (data as Data).n, phase: (data as Data).phase, seq: frame.seq, epoch: frame.epoch }),
    );
    const publisher = await connect(a, 'lib-pub', 'operator');
    try {
      client.connect();
      expect(await client.subscribe(channel)).toMatchObject({ ok: true, seq: 0 });
      for (let n = 1; n <= 3; n++) await publisher.publish(channel, { n, phase: 'before' });
      expect(await pollUntil(() => received.length === 3, 3000)).toBe(true);

      await stopRedis();
      await restartRedis();
      for (let n = 1; n <= 5; n++) await publisher.publish(channel, { n, phase: 'after' });
      await pollUntil(() => received.some((r) => r.phase === 'after' && r.n === 5), 3000);
      await sleep(100);
      expect(client.state).toBe('open');
      expect(disconnects).toEqual([]);
      expect(received.filter((r) => r.phase === 'after').map((r) => [r.n, r.seq])).toEqual([
        [1, 1],
        [2, 2],
        [3, 3],
        [4, 4],
        [5, 5],
      ]);
      expect(new Set(received.filter((r) => r.phase === 'after').map((r) => r.epoch)).size).toBe(1);
      expect(received[3]!.epoch).not.toBe(received[0]!.epoch);
      // The renumbering is reported once, on the first message of the new epoch.
      expect(gaps).toEqual([{ channel, since: 3, seq: 1, epoch: received[3]!.epoch }]);
    } finally {
      client.disconnect();
    }
  });

  it('a NexusWebSocket client that received local-epoch messages during the outage reports a gap on its resubscribe after Redis returns, then receives again', async () => {
    const channel = freshChannel('outage.gap');
    const spare = await startServer({ env: { NEXUS_REDIS_URL: redis.url, LOG_LEVEL: 'error' } });
    extraServers.push(spare);
    const proxy = await startSwitchProxy(spare.port);
    const client = new NexusWebSocket(proxy.url, await tokenFor('gap-sub'), { initialDelayMs: 50, maxDelayMs: 200 });
    const received: { n: unknown; seq: number; epoch: string }[] = [];
    const gaps: { channel: string; since: number | undefined; epoch: string }[] = [];
    client.on('gap', (gap) => gaps.push(gap));
    client.onChannel(channel, (data, frame) =>
      received.push({ n: (data as Data).n, seq: frame.seq, epoch: frame.epoch }),
    );
    try {
      await redis.stop();
      expect(await healthBecomes(spare, 503)).toMatchObject(DEGRADED);
      client.connect();
      expect(await client.subscribe(channel)).toMatchObject({ ok: true, seq: 0 });
      const localPublisher = await connect(spare, 'gap-pub', 'operator');
      await localPublisher.publish(channel, { n: 'local' });
      expect(await pollUntil(() => received.length === 1, 3000)).toBe(true);
      expect(received[0]!.epoch).toMatch(/^local:/);

      await redis.restart();
      expect(await healthBecomes(spare, 200, 8000)).toMatchObject(HEALTHY);
      proxy.cutAll(); // the client reconnects and resubscribes with its local-epoch position
      expect(await pollUntil(() => gaps.length > 0, 5000)).toBe(true);
      expect(gaps[0]).toMatchObject({ channel, since: 1 });
      expect(gaps[0]!.epoch).not.toMatch(/^local:/);
      expect(await pollUntil(() => client.state === 'open', 3000)).toBe(true);
      const publisherOnA = await connect(a, 'gap-pub-a', 'operator');
      await publisherOnA.publish(channel, { n: 'after' });
      expect(await pollUntil(() => received.some((r) => r.n === 'after'), 3000)).toBe(true);
      expect(received.map((r) => r.n)).toEqual(['local', 'after']);
    } finally {
      client.disconnect();
      await proxy.close();
      await spare.close();
    }
  });

  it('a process cut off from Redis while the others keep it: once back, its subscribers get what was published meanwhile from history, in order, then live ones; a resubscribe with since recovers the same', async () => {
    const redisProxy = await startSwitchProxy(redis.port);
    const cutOff = await startServer({
      env: { NEXUS_REDIS_URL: `redis://127.0.0.1:${redisProxy.port}`, LOG_LEVEL: 'error' },
    });
    extraServers.push(cutOff);
    try {
      const channel = freshChannel('outage.partition');
      const subscriber = await connect(cutOff, 'part-sub');
      const publisher = await connect(a, 'part-pub', 'operator');
      await subscriber.subscribe(channel);
      for (let n = 1; n <= 2; n++) await publisher.publish(channel, { n });
      const lastSeen = await waitForFrame(subscriber, (f) => f.channel === channel && dataOf(f).n === 2);

      redisProxy.refuse(true);
      redisProxy.cutAll();
      expect(await healthBecomes(cutOff, 503)).toMatchObject(DEGRADED);
      expect(await restJson(a.url, '/healthz')).toMatchObject(HEALTHY);
      for (let n = 3; n <= 5; n++)
        expect(await publisher.publish(channel, { n })).toMatchObject({ type: 'ack', seq: n });

      redisProxy.refuse(false);
      expect(await healthBecomes(cutOff, 200, 8000)).toMatchObject(HEALTHY);
      await sleep(200); // the restored SUBSCRIBE is answered
      await publisher.publish(channel, { n: 6 });
      await waitForFrame(subscriber, (f) => f.channel === channel && dataOf(f).n === 6, { timeoutMs: 3000 });
      // 3..5 were published while the process was cut off: it hands them on from history.
      expect(deliveries(subscriber, channel).map((f) => dataOf(f).n)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(subscriber.ofType('error')).toEqual([]);
      // A client that reconnected meanwhile recovers them with its since/epoch as well.
      const resumed = await connect(cutOff, 'part-sub');
      const reply = await resumed.subscribe(channel, { since: lastSeen.seq, epoch: lastSeen.epoch });
      expect(reply).toMatchObject({ type: 'subscribed', seq: 6, epoch: lastSeen.epoch, recovered: true });
      await waitForFrame(resumed, (f) => f.channel === channel && dataOf(f).n === 6);
      expect(seqsOf(deliveries(resumed, channel))).toEqual([3, 4, 5, 6]);
    } finally {
      await cutOff.close();
      await redisProxy.close();
    }
  });

  describe('a process started while Redis is unreachable', () => {
    /** Stops Redis, starts a process, lets ioredis retry a while, restarts Redis: the process recovers. */
    const startDuringOutage = async (during: (server: TestServer) => Promise<void> = async () => {}) => {
      await redis.stop();
      const server = await startServer({ env: { NEXUS_REDIS_URL: redis.url, LOG_LEVEL: 'error' } });
      extraServers.push(server);
      expect(await restJson(server.url, '/healthz')).toMatchObject(DEGRADED);
      await during(server);
      await sleep(1000); // a realistic outage: ioredis retries a few times meanwhile
      await redis.restart();
      expect(await healthBecomes(server, 200, 8000)).toMatchObject(HEALTHY);
      for (const other of [a, b]) expect(await healthBecomes(other, 200, 8000)).toMatchObject(HEALTHY);
      return server;
    };

    it('starts degraded, serves its local clients, and recovers by itself when Redis comes up: cross-process delivery both ways', async () => {
      const late = await startDuringOutage(async (late) => {
        const localChannel = freshChannel('outage.start.local');
        const localSub = await connect(late, 'start-local-sub');
        const localPub = await connect(late, 'start-local-pub', 'operator');
        await localSub.subscribe(localChannel);
        await localPub.publish(localChannel, { n: 1 });
        const local = await waitForFrame(localSub, (f) => f.type === 'message' && f.channel === localChannel);
        expect(String(local.epoch)).toMatch(/^local:/);
        await localSub.assertAlive();
      });

      try {
        const channel = freshChannel('outage.start');
        const onLate = await connect(late, 'start-sub-late');
        const onA = await connect(a, 'start-sub-a');
        await onLate.subscribe(channel);
        await onA.subscribe(channel);
        const pubA = await connect(a, 'start-pub-a', 'operator');
        const pubLate = await connect(late, 'start-pub-late', 'operator');
        await pubA.publish(channel, { from: 'a' });
        await pubLate.publish(channel, { from: 'late' });
        for (const client of [onLate, onA]) {
          await waitForFrame(client, (f) => f.channel === channel && dataOf(f).from === 'late', { timeoutMs: 3000 });
          expect(deliveries(client, channel).map((f) => [f.seq, dataOf(f).from])).toEqual([
            [1, 'a'],
            [2, 'late'],
          ]);
        }
      } finally {
        await late.close();
      }
    });

    it('once recovered, it follows the tasks and telemetry published on the other processes', async () => {
      const late = await startDuringOutage();
      try {
        const operatorToken = await tokenFor('start-op', 'operator');
        const taskId = `task_outage_${process.pid}_${Date.now()}`;
        const operator = await connect(a, 'start-op', 'operator');
        const agent = await connect(b, 'agent_outage', 'agent');
        await operator.publish('commands', { command: 'execute_task', task_id: taskId, agent_id: 'agent_outage' });
        await agent.publish('telemetry', { agent_id: 'agent_outage', cpu_usage: 12.5 });
        const taskKnown = await pollUntil(async () => {
          const tasks = (await restJson(late.url, '/api/tasks', { token: operatorToken })).body as Task[];
          return tasks.some((t) => t.task_id === taskId);
        }, 3000);
        const agents = (await restJson(late.url, '/api/agents', { token: operatorToken })).body as {
          agent_id: string;
          latest: Data;
        }[];
        const inspector = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
        try {
          await inspector.connect();
          const reply = (await inspector.call(
            'PUBSUB',
            'NUMSUB',
            'nexus:msg:commands',
            'nexus:msg:tasks',
            'nexus:msg:telemetry',
          )) as (string | number)[];
          expect({
            taskKnown,
            agentLatest: agents.find((x) => x.agent_id === 'agent_outage')?.latest,
            // One Redis subscription per process (a, b and the late one) on each domain channel.
            redisSubscribers: reply.filter((_, i) => i % 2 === 1).map(Number),
          }).toEqual({ taskKnown: true, agentLatest: { cpu_usage: 12.5 }, redisSubscribers: [3, 3, 3] });
        } finally {
          inspector.disconnect();
        }
      } finally {
        await late.close();
      }
    });
  });

  it('a process that cannot reach Redis at start (Redis itself up) warms up from the shared history once it can: tasks and agents known before it connected', async () => {
    const operatorToken = await tokenFor('warm-op', 'operator');
    const taskId = `task_warm_${process.pid}_${Date.now()}`;
    const operator = await connect(a, 'warm-op', 'operator');
    const agent = await connect(a, 'agent_warm', 'agent');
    await operator.publish('commands', { command: 'execute_task', task_id: taskId, agent_id: 'agent_warm' });
    // Same process: the ack means the process already knows the task.
    expect(
      await agent.publish('tasks', { task_id: taskId, status: 'succeeded', progress: 100, agent_id: 'agent_warm' }),
    ).toMatchObject({ type: 'ack' });
    await agent.publish('telemetry', { agent_id: 'agent_warm', cpu_usage: 7 });
    await sleep(100);
    const redisProxy = await startSwitchProxy(redis.port);
    redisProxy.refuse(true);
    const joiner = await startServer({
      env: { NEXUS_REDIS_URL: `redis://127.0.0.1:${redisProxy.port}`, LOG_LEVEL: 'error' },
    });
    extraServers.push(joiner);
    try {
      expect(await restJson(joiner.url, '/healthz')).toMatchObject(DEGRADED);
      await sleep(500);
      redisProxy.refuse(false);
      expect(await healthBecomes(joiner, 200, 8000)).toMatchObject(HEALTHY);
      const known = await pollUntil(async () => {
        const tasks = (await restJson(joiner.url, '/api/tasks', { token: operatorToken })).body as Task[];
        return tasks.some((t) => t.task_id === taskId && t.status === 'succeeded');
      }, 2000);
      const agents = (await restJson(joiner.url, '/api/agents', { token: operatorToken })).body as {
        agent_id: string;
      }[];
      expect({ taskKnown: known, agentKnown: agents.some((x) => x.agent_id === 'agent_warm') }).toEqual({
        taskKnown: true,
        agentKnown: true,
      });
    } finally {
      await joiner.close();
      await redisProxy.close();
    }
  });
});
