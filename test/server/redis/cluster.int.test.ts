/**
 * Several Nexus processes (in-process servers) joined by one real redis-server: cross-process delivery with filters, one shared seq per channel under concurrent
 * publishers, one epoch, exactly-once delivery, recovery on another process (with the Node client
 * library behind a switchable "load balancer"), per-channel Redis subscriptions, and the task and
 * agent state of a simulated fleet seen alike from every process, including one that joins later.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NexusWebSocket } from '@nexus-realtime/client';
import { startFleet, type Fleet } from '../../../src/mock/fleet.js';
import type { AgentInfo, Task } from '@nexus-realtime/client/protocol';
import { clientPool, deliveries, restJson, waitForFrame } from '../../helpers/assertions.js';
import { pollUntil } from '../../helpers/raw.js';
import { startRedis, type TestRedis } from '../../helpers/redis.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { startSwitchProxy, type SwitchProxy } from '../../helpers/switch-proxy.js';
import { tokenFor } from '../../helpers/tokens.js';
import { sleep, type Frame, type TestClient } from '../../helpers/ws-client.js';
import type { RedisBroker } from '../../../src/server/broker/index.js';

type Data = Record<string, unknown>;
const dataOf = (f: Frame): Data =>
  typeof f.data === 'object' && f.data !== null && !Array.isArray(f.data) ? (f.data as Data) : {};
const seqsOf = (frames: readonly Frame[]) => frames.map((f) => f.seq as number);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

let channelCounter = 0;
/** A fresh channel name, unique across runs sharing nothing but this process. */
const freshChannel = (prefix: string) =>
  `${prefix}.${process.pid}.${++channelCounter}.${Math.random().toString(36).slice(2, 8)}`;

/** Waits until `client` has `count` deliveries on `channel`. */
async function waitForDeliveries(
  client: TestClient,
  channel: string,
  count: number,
  timeoutMs = 5000,
): Promise<Frame[]> {
  const ok = await pollUntil(() => deliveries(client, channel).length >= count, timeoutMs);
  const got = deliveries(client, channel);
  if (!ok)
    throw new Error(`expected ${count} deliveries on ${channel}, got ${got.length}: ${JSON.stringify(seqsOf(got))}`);
  return got;
}

/** Redis pub/sub channels with at least one subscriber, among `nexus:msg:<channel>` of the given channels. */
async function redisSubscribers(inspector: Redis, channels: readonly string[]): Promise<Record<string, number>> {
  const reply = (await inspector.call('PUBSUB', 'NUMSUB', ...channels.map((c) => `nexus:msg:${c}`))) as (
    string | number
  )[];
  const out: Record<string, number> = {};
  for (let i = 0; i < reply.length; i += 2) out[String(reply[i]).slice('nexus:msg:'.length)] = Number(reply[i + 1]);
  return out;
}

const watched = (server: TestServer) => (server.broker as RedisBroker).watchedChannels;

describe('two and three Nexus processes on one Redis', () => {
  let redis: TestRedis;
  let a: TestServer;
  let b: TestServer;
  let c: TestServer;
  let inspector: Redis;
  const extraServers: TestServer[] = [];
  const pool = clientPool();

  beforeAll(async () => {
    redis = await startRedis();
    const env = { NEXUS_REDIS_URL: redis.url, NEXUS_MOCK_INTERVAL_MS: '100' };
    [a, b, c] = await Promise.all([startServer({ env }), startServer({ env }), startServer({ env })]);
    inspector = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await inspector.connect();
  });
  afterEach(() => pool.closeAll());
  afterAll(async () => {
    await pool.closeAll();
    await Promise.all([a, b, c, ...extraServers].map((s) => s?.close()));
    inspector?.disconnect();
    await redis?.stop();
  });

  const connect = async (server: TestServer, userId: string, role = 'viewer') =>
    pool.connect(server.wsUrl, await tokenFor(userId, role));

  it('delivers publishes from any process to filtered subscribers on the others: scalar, any-of, several keys, strict equality', async () => {
    const channel = freshChannel('cluster.filters');
    const euOnB = await connect(b, 'eu-on-b');
    const levelOnC = await connect(c, 'level-on-c');
    const euErrorOnB = await connect(b, 'eu-error-on-b');
    const codeOnA = await connect(a, 'code-on-a');
    const urgentOnA = await connect(a, 'urgent-on-a');
    const allOnC = await connect(c, 'all-on-c');
    expect(await euOnB.subscribe(channel, { filters: { region: 'eu' } })).toMatchObject({ type: 'subscribed', seq: 0 });
    expect(await levelOnC.subscribe(channel, { filters: { level: ['warn', 'error'] } })).toMatchObject({
      type: 'subscribed',
      seq: 0,
    });
    expect(await euErrorOnB.subscribe(channel, { filters: { region: 'eu', level: 'error' } })).toMatchObject({
      type: 'subscribed',
      seq: 0,
    });
    expect(await codeOnA.subscribe(channel, { filters: { code: 2 } })).toMatchObject({ type: 'subscribed', seq: 0 });
    expect(await urgentOnA.subscribe(channel, { filters: { urgent: true } })).toMatchObject({
      type: 'subscribed',
      seq: 0,
    });
    expect(await allOnC.subscribe(channel)).toMatchObject({ type: 'subscribed', seq: 0 });

    const publishers = [
      await connect(a, 'pub-a', 'operator'),
      await connect(b, 'pub-b', 'operator'),
      await connect(c, 'pub-c', 'operator'),
    ];
    const payloads: unknown[] = [
      { n: 1, region: 'eu', level: 'info', code: 1, urgent: true },
      { n: 2, region: 'us', level: 'warn', code: 2, urgent: 'true' },
      { n: 3, region: 'eu', level: 'error', code: '2' },
      { n: 4, region: 'EU', level: 'error' },
      'eu',
      ['eu', 'error'],
      { n: 7, level: 'error' },
      { n: 8, region: ['eu'], level: 'warn' },
      { n: 9, region: 'eu', level: 'warn', code: 2, urgent: 1 },
      null,
      { n: 11, region: 'eu', level: 'error', code: 2, urgent: true, last: true },
    ];
    // Sequential publishes rotating over the three processes: seq n is payload n.
    for (const [index, payload] of payloads.entries()) {
      const ack = await publishers[index % 3]!.publish(channel, payload);
      expect(ack).toMatchObject({ type: 'ack', seq: index + 1 });
    }
    const subscribers = { euOnB, levelOnC, euErrorOnB, codeOnA, urgentOnA, allOnC };
    // The last payload matches every filter; Redis delivers a channel in order, so once it has
    // arrived everywhere, anything else that was going to arrive has arrived.
    for (const client of Object.values(subscribers))
      await waitForFrame(client, (f) => f.channel === channel && dataOf(f).last === true, { timeoutMs: 5000 });
    const got = Object.fromEntries(
      Object.entries(subscribers).map(([name, client]) => [name, seqsOf(deliveries(client, channel))]),
    );
    expect(got).toEqual({
      euOnB: [1, 3, 9, 11],
      levelOnC: [2, 3, 4, 7, 8, 9, 11],
      euErrorOnB: [3, 11],
      codeOnA: [2, 9, 11],
      urgentOnA: [1, 11],
      allOnC: range(1, 11),
    });
    // Each delivery is the published message, with its publisher's userId whatever process it came from.
    const all = deliveries(allOnC, channel);
    expect(all.map((f) => f.data)).toEqual(payloads);
    expect(all.map((f) => f.from)).toEqual(payloads.map((_, i) => ['pub-a', 'pub-b', 'pub-c'][i % 3]));
    expect(all.every((f) => f.type === 'message')).toBe(true);
  });

  it('numbers concurrent publishes from 3 processes with one shared seq: 3 × 50 → 1..150 once each, every subscriber gets all 150 in seq order', async () => {
    const channel = freshChannel('cluster.seq');
    const subscribers = [await connect(a, 'seq-sub-a'), await connect(b, 'seq-sub-b'), await connect(c, 'seq-sub-c')];
    const onlyB = await connect(a, 'seq-sub-only-b');
    const subscribed = await Promise.all(subscribers.map((s) => s.subscribe(channel)));
    await onlyB.subscribe(channel, { filters: { publisher: 'B' } });
    expect(new Set(subscribed.map((f) => f.epoch)).size).toBe(1);

    const names = ['A', 'B', 'C'] as const;
    const publishers = [
      await connect(a, 'seq-pub-a', 'operator'),
      await connect(b, 'seq-pub-b', 'operator'),
      await connect(c, 'seq-pub-c', 'operator'),
    ];
    const PER_PUBLISHER = 50;
    // The three publishers fire their 50 frames each at once, interleaved.
    for (const i of range(0, PER_PUBLISHER - 1)) {
      for (const [p, publisher] of publishers.entries())
        publisher.send({ action: 'publish', id: `${names[p]}-${i}`, channel, payload: { publisher: names[p], i } });
    }
    const replies = (publisher: TestClient) =>
      publisher.frames.filter((f) => typeof f.id === 'string' && /^[ABC]-\d+$/.test(f.id));
    expect(
      await pollUntil(() => publishers.every((publisher) => replies(publisher).length === PER_PUBLISHER), 10_000),
    ).toBe(true);
    const acks = publishers.map((publisher, p) =>
      range(0, PER_PUBLISHER - 1).map((i) => replies(publisher).find((f) => f.id === `${names[p]}-${i}`)!),
    );
    const seqOf = new Map<number, { publisher: string; i: number }>();
    for (const [p, replies] of acks.entries()) {
      expect(replies.every((r) => r.type === 'ack')).toBe(true);
      const seqs = replies.map((r) => r.seq as number);
      // One connection's publishes are numbered in the order it sent them.
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
      for (const [i, seq] of seqs.entries()) seqOf.set(seq, { publisher: names[p]!, i });
    }
    expect([...seqOf.keys()].sort((x, y) => x - y)).toEqual(range(1, 150));

    for (const subscriber of subscribers) {
      const got = await waitForDeliveries(subscriber, channel, 150, 10_000);
      expect(seqsOf(got)).toEqual(range(1, 150));
      expect(got.map((f) => f.data)).toEqual(range(1, 150).map((seq) => seqOf.get(seq)));
      expect(new Set(got.map((f) => f.epoch))).toEqual(new Set([subscribed[0]!.epoch]));
    }
    const onlyBGot = await waitForDeliveries(onlyB, channel, PER_PUBLISHER, 5000);
    expect(onlyBGot.map((f) => f.data)).toEqual(range(0, PER_PUBLISHER - 1).map((i) => ({ publisher: 'B', i })));
    const latest = await Promise.all(subscribers.map((s) => s.subscribe(channel)));
    // A second subscribe (same filters) reports the channel's position: 150 on every process.
    expect(latest.map((f) => f.seq)).toEqual([150, 150, 150]);
  });

  it("every process answers with the same epoch, the channel generation's one stored in Redis, on subscribed replies and deliveries", async () => {
    const channel = freshChannel('cluster.epoch');
    const clients = [await connect(a, 'epoch-a'), await connect(b, 'epoch-b'), await connect(c, 'epoch-c')];
    const replies = await Promise.all(clients.map((client) => client.subscribe(channel)));
    // Epochs are per channel generation: `<nexus:epoch>.<n>`, kept in the channel's hash.
    const stored = await inspector.hget(`nexus:chan:${channel}`, 'epoch');
    expect(stored).toMatch(/^[0-9a-f-]{36}\.\d+$/);
    expect(stored!.startsWith(`${await inspector.get('nexus:epoch')}.`)).toBe(true);
    expect(replies.map((r) => r.epoch)).toEqual([stored, stored, stored]);
    const publisher = await connect(b, 'epoch-pub', 'operator');
    await publisher.publish(channel, { hello: 1 });
    const received = await Promise.all(
      clients.map((client) => waitForFrame(client, (f) => f.type === 'message' && f.channel === channel)),
    );
    expect(received.map((f) => f.epoch)).toEqual([stored, stored, stored]);
    for (const server of [a, b, c]) {
      const health = await restJson(server.url, '/healthz');
      expect(health).toMatchObject({ status: 200, body: { status: 'ok', broker: 'redis', redis: 'up' } });
    }
  });

  it('delivers each message once to each matching subscriber on any process, also with two overlapping subscriptions', async () => {
    const channel = freshChannel('cluster.once');
    const twoFiltersOnB = await connect(b, 'overlap-b');
    const filteredAndAllOnC = await connect(c, 'overlap-c');
    const sameFiltersOnB = await connect(b, 'same-b');
    const publisherOnA = await connect(a, 'once-pub', 'operator');
    await twoFiltersOnB.subscribe(channel, { filters: { kind: 'a' } });
    await twoFiltersOnB.subscribe(channel, { filters: { level: ['hi', 'lo'] } });
    await filteredAndAllOnC.subscribe(channel, { filters: { kind: 'a' } });
    await filteredAndAllOnC.subscribe(channel);
    await sameFiltersOnB.subscribe(channel, { filters: { kind: 'a' } });

    const payloads = [
      { n: 1, kind: 'a', level: 'hi' }, // both subscriptions
      { n: 2, kind: 'a', level: 'mid' }, // first only
      { n: 3, kind: 'b', level: 'lo' }, // second only
      { n: 4, kind: 'b', level: 'mid' }, // neither
      { n: 5, kind: 'a', level: 'lo' }, // both
      { n: 6, kind: 'a', level: 'hi', last: true },
    ];
    for (const payload of payloads) await publisherOnA.publish(channel, payload);
    for (const client of [twoFiltersOnB, filteredAndAllOnC, sameFiltersOnB]) {
      await waitForFrame(client, (f) => f.channel === channel && dataOf(f).last === true, { timeoutMs: 5000 });
    }
    await sleep(100); // room for a late duplicate to show up
    expect(seqsOf(deliveries(twoFiltersOnB, channel))).toEqual([1, 2, 3, 5, 6]);
    expect(seqsOf(deliveries(filteredAndAllOnC, channel))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(seqsOf(deliveries(sameFiltersOnB, channel))).toEqual([1, 2, 5, 6]);
  });

  it('a new subscription on another process resumes from since/epoch taken on the first: the missed matching messages in order, then live ones', async () => {
    const channel = freshChannel('cluster.resume');
    const filters = { level: ['warn', 'error'] };
    const publisher = await connect(b, 'resume-pub', 'operator');
    const first = await connect(a, 'resume-viewer');
    await first.subscribe(channel, { filters });
    await publisher.publish(channel, { n: 1, level: 'warn' });
    await publisher.publish(channel, { n: 2, level: 'info' });
    const lastSeen = await waitForFrame(first, (f) => f.channel === channel && dataOf(f).n === 1);
    await first.close();
    for (let n = 3; n <= 8; n++) await publisher.publish(channel, { n, level: n % 2 === 0 ? 'error' : 'info' });

    const resumed = await connect(c, 'resume-viewer');
    const reply = await resumed.subscribe(channel, { filters, since: lastSeen.seq, epoch: lastSeen.epoch });
    expect(reply).toMatchObject({ type: 'subscribed', seq: 8, epoch: lastSeen.epoch, recovered: true });
    await publisher.publish(channel, { n: 9, level: 'error' });
    await waitForFrame(resumed, (f) => f.channel === channel && dataOf(f).n === 9);
    expect(deliveries(resumed, channel).map((f) => [f.seq, dataOf(f).n])).toEqual([
      [4, 4],
      [6, 6],
      [8, 8],
      [9, 9],
    ]);

    // A position from another history generation is not replayed: recovered false, nothing sent.
    const stranger = await connect(b, 'stranger');
    const refused = await stranger.subscribe(channel, { since: 1, epoch: 'another-generation' });
    expect(refused).toMatchObject({ type: 'subscribed', seq: 9, recovered: false });
    await sleep(100);
    expect(deliveries(stranger, channel)).toEqual([]);
  });

  for (const loss of ['its connection to A is cut', 'process A shuts down'] as const) {
    it(`a NexusWebSocket client that loses process A (${loss}) lands on B, recovers what it missed in order with its filters, without duplicates`, async () => {
      const spare = await startServer({ env: { NEXUS_REDIS_URL: redis.url } });
      extraServers.push(spare);
      const proxy: SwitchProxy = await startSwitchProxy(spare.port);
      const viewerToken = await tokenFor('lb-viewer', 'viewer');
      const client = new NexusWebSocket(proxy.url, viewerToken, {
        initialDelayMs: 50,
        maxDelayMs: 200,
        connectTimeoutMs: 2000,
      });
      const channel = freshChannel('cluster.lb');
      const received: { seq: number; n: number; epoch: string }[] = [];
      const gaps: unknown[] = [];
      const connections: string[] = [];
      client.on('gap', (gap) => gaps.push(gap));
      client.on('connected', ({ connectionId }) => connections.push(connectionId));
      client.onChannel(channel, (data, frame) =>
        received.push({ seq: frame.seq, n: (data as { n: number }).n, epoch: frame.epoch }),
      );
      const publisher = await connect(b, 'lb-pub', 'operator');
      const publish = async (n: number, extra: Data) =>
        expect(await publisher.publish(channel, { n, ...extra })).toMatchObject({ type: 'ack', seq: n });
      try {
        client.connect();
        const subscribeResults = await Promise.all([
          client.subscribe(channel, { kind: ['alert', 'warn'] }),
          client.subscribe(channel, { host: 'h1' }),
        ]);
        expect(subscribeResults.every((r) => r.ok)).toBe(true);
        // Live, through A: 1 alert/h2 (first), 2 info/h1 (second), 3 info/h2 (neither).
        await publish(1, { kind: 'alert', host: 'h2' });
        await publish(2, { kind: 'info', host: 'h1' });
        await publish(3, { kind: 'info', host: 'h2' });
        expect(await pollUntil(() => received.length === 2, 5000)).toBe(true);
        expect(connections).toHaveLength(1);

        // A goes away; for a while no process answers behind the balancer.
        proxy.refuse(true);
        if (loss === 'process A shuts down') await spare.close();
        else proxy.cutAll();
        expect(await pollUntil(() => client.state === 'reconnecting', 3000)).toBe(true);
        // Published on B while the client is away: 4 warn/h1 (both), 5 info/h3 (neither),
        // 6 warn/h3 (first), 7 debug/h1 (second).
        await publish(4, { kind: 'warn', host: 'h1' });
        await publish(5, { kind: 'info', host: 'h3' });
        await publish(6, { kind: 'warn', host: 'h3' });
        await publish(7, { kind: 'debug', host: 'h1' });
        await sleep(150);
        expect(received.map((r) => r.n)).toEqual([1, 2]);

        proxy.setTarget(b.port);
        proxy.refuse(false);
        expect(await pollUntil(() => connections.length === 2 && client.state === 'open', 5000)).toBe(true);
        await publish(8, { kind: 'alert', host: 'h1' }); // live on B, both
        await publish(9, { kind: 'info', host: 'h9' }); // neither
        await publish(10, { kind: 'warn', host: 'h0', last: true });
        expect(await pollUntil(() => received.some((r) => r.n === 10), 5000)).toBe(true);
        await sleep(100);
        expect(received.map((r) => r.seq)).toEqual([1, 2, 4, 6, 7, 8, 10]);
        expect(received.map((r) => r.n)).toEqual([1, 2, 4, 6, 7, 8, 10]);
        expect(new Set(received.map((r) => r.epoch)).size).toBe(1);
        expect(gaps).toEqual([]);
        expect(proxy.routed.at(-1)).toBe(b.port);
        expect(proxy.routed[0]).toBe(spare.port);
      } finally {
        client.disconnect();
        await proxy.close();
        await spare.close();
      }
    });
  }

  it('a process SUBSCRIBEs in Redis only to channels its local clients watch (plus telemetry, tasks, commands), and leaves when the last one goes', async () => {
    const domain = ['telemetry', 'tasks', 'commands'];
    for (const server of [a, b, c]) expect(watched(server)).toEqual(expect.arrayContaining(domain));
    // One Redis subscription per process and channel, however many local clients there are.
    expect(await redisSubscribers(inspector, domain)).toEqual({ telemetry: 3, tasks: 3, commands: 3 });

    const channel = freshChannel('cluster.watch');
    expect(watched(a)).not.toContain(channel);
    expect(await redisSubscribers(inspector, [channel])).toEqual({ [channel]: 0 });

    const first = await connect(a, 'watch-1');
    const second = await connect(a, 'watch-2');
    await first.subscribe(channel);
    await second.subscribe(channel, { filters: { x: 1 } });
    expect(watched(a)).toContain(channel);
    for (const other of [b, c]) expect(watched(other)).not.toContain(channel);
    expect(await pollUntil(async () => (await redisSubscribers(inspector, [channel]))[channel] === 1, 3000)).toBe(true);
    const listed = (await inspector.call('PUBSUB', 'CHANNELS', `nexus:msg:${channel}`)) as string[];
    expect(listed).toEqual([`nexus:msg:${channel}`]);

    // A publish on B reaches A's subscribers but B keeps no Redis subscription for it.
    const publisher = await connect(b, 'watch-pub', 'operator');
    await publisher.publish(channel, { x: 1 });
    await waitForFrame(first, (f) => f.channel === channel);
    expect(watched(b)).not.toContain(channel);

    // The first client unsubscribes: the second still needs the channel.
    expect(await first.request({ action: 'unsubscribe', channel })).toMatchObject({ type: 'unsubscribed', channel });
    expect(watched(a)).toContain(channel);
    await sleep(100);
    expect(await redisSubscribers(inspector, [channel])).toEqual({ [channel]: 1 });
    // The last local subscriber leaves by closing its connection.
    await second.close();
    expect(await pollUntil(() => !watched(a).includes(channel), 3000)).toBe(true);
    expect(await pollUntil(async () => (await redisSubscribers(inspector, [channel]))[channel] === 0, 3000)).toBe(true);
    expect(await inspector.call('PUBSUB', 'CHANNELS', `nexus:msg:${channel}`)).toEqual([]);
    // The domain channels stay watched with no client at all.
    expect(await redisSubscribers(inspector, domain)).toEqual({ telemetry: 3, tasks: 3, commands: 3 });
  });

  it('a fleet on A runs an execute_task sent by an operator on B; A, B and a process started afterwards serve the same final task; B lists the agents; queued is announced once', async () => {
    const operatorToken = await tokenFor('fleet-op', 'operator');
    const agentIds = ['agent_001', 'agent_002', 'agent_003'];
    let fleet: Fleet | undefined;
    let late: TestServer | undefined;
    try {
      fleet = startFleet({
        url: a.wsUrl,
        count: agentIds.length,
        intervalMs: 100,
        token: (id) => () => tokenFor(id, 'agent'),
        taskDurationMs: [200, 400],
        failureRate: 0,
        clientOptions: { initialDelayMs: 50, maxDelayMs: 300 },
      });
      // B learns the agents from their telemetry on A.
      const online = (server: TestServer) =>
        new Set(
          server.agents
            .list()
            .filter((x) => x.online)
            .map((x) => x.agent_id),
        );
      expect(await pollUntil(() => agentIds.every((id) => online(b).has(id)), 5000)).toBe(true);
      expect(fleet.agents.every((agent) => agent.client.state === 'open')).toBe(true);
      await sleep(200); // the agents' subscriptions are answered

      const watchers = [await connect(a, 'tasks-a'), await connect(b, 'tasks-b'), await connect(c, 'tasks-c')];
      for (const watcher of watchers) await watcher.subscribe('tasks');
      const operator = await connect(b, 'fleet-op', 'operator');
      const addressed = `task_cluster_${process.pid}_${Date.now()}`;
      const unaddressed = `${addressed}_any`;
      expect(
        await operator.publish('commands', {
          command: 'execute_task',
          task_id: addressed,
          agent_id: 'agent_002',
          params: { n: 1 },
        }),
      ).toMatchObject({ type: 'ack' });
      expect(await operator.publish('commands', { command: 'execute_task', task_id: unaddressed })).toMatchObject({
        type: 'ack',
      });

      const FINAL = ['succeeded', 'failed', 'cancelled'];
      const isFinal = (taskId: string) => (f: Frame) =>
        f.channel === 'tasks' && dataOf(f).task_id === taskId && FINAL.includes(String(dataOf(f).status));
      for (const watcher of watchers) {
        await waitForFrame(watcher, isFinal(addressed), { timeoutMs: 8000 });
        await waitForFrame(watcher, isFinal(unaddressed), { timeoutMs: 8000 });
      }
      await sleep(300); // a second `queued` from another process would have arrived by now
      for (const watcher of watchers) {
        for (const taskId of [addressed, unaddressed]) {
          const updates = deliveries(watcher, 'tasks').filter((f) => dataOf(f).task_id === taskId);
          const queued = updates.filter((f) => dataOf(f).status === 'queued');
          expect(queued, `queued broadcasts of ${taskId}`).toHaveLength(1);
          // Queued is announced by the accepting process (B) once it sees the command; the agent's
          // first report travels from A, so under load it can come first on the wire. The final
          // state always comes after the queued broadcast.
          expect(queued[0]).toMatchObject({ type: 'broadcast', from: 'nexus' });
          const final = updates.filter(isFinal(taskId));
          expect(final.map((f) => dataOf(f).status)).toEqual(['succeeded']);
          expect(Number(final[0]!.seq)).toBeGreaterThan(Number(queued[0]!.seq));
        }
      }

      const tasksOf = async (server: TestServer) => {
        const response = await restJson(server.url, '/api/tasks', { token: operatorToken });
        expect(response.status).toBe(200);
        return response.body as Task[];
      };
      const core = (task: Task | undefined) =>
        task && {
          task_id: task.task_id,
          status: task.status,
          progress: task.progress,
          agent_id: task.agent_id,
          command: task.command,
          updated_at: task.updated_at,
          error: task.error,
        };
      const finalOn = async (server: TestServer, taskId: string) => {
        let task: Task | undefined;
        await pollUntil(async () => {
          task = (await tasksOf(server)).find((t) => t.task_id === taskId);
          return task !== undefined && FINAL.includes(task.status);
        }, 5000);
        return task;
      };
      const onA = await finalOn(a, addressed);
      expect(onA).toMatchObject({
        task_id: addressed,
        status: 'succeeded',
        progress: 100,
        agent_id: 'agent_002',
        command: 'execute_task',
      });
      const unaddressedOnA = await finalOn(a, unaddressed);
      expect(unaddressedOnA).toMatchObject({ status: 'succeeded', progress: 100 });
      expect(agentIds).toContain(unaddressedOnA!.agent_id);
      expect(core(await finalOn(b, addressed))).toEqual(core(onA));
      expect(core(await finalOn(b, unaddressed))).toEqual(core(unaddressedOnA));

      // A process that joins after the tasks finished learns them from the shared history.
      late = await startServer({ env: { NEXUS_REDIS_URL: redis.url, NEXUS_MOCK_INTERVAL_MS: '100' } });
      expect(core(await finalOn(late, addressed))).toEqual(core(onA));
      expect(core(await finalOn(late, unaddressed))).toEqual(core(unaddressedOnA));

      // B lists the fleet's agents online with their newest telemetry values.
      const agentsOnB = (await restJson(b.url, '/api/agents', { token: operatorToken })).body as AgentInfo[];
      for (const id of agentIds) {
        const agent = agentsOnB.find((x) => x.agent_id === id);
        expect(agent, id).toMatchObject({ agent_id: id, online: true });
        expect(Date.now() - Date.parse(agent!.last_seen)).toBeLessThan(2000);
        for (const metric of ['cpu_usage', 'memory_mb']) expect(typeof agent!.latest[metric]).toBe('number');
      }
      // Latest values agree with A's view once the fleet is stopped (no sample in flight).
      fleet.stop();
      await sleep(300);
      const agentsOnA = (await restJson(a.url, '/api/agents', { token: operatorToken })).body as AgentInfo[];
      const latestB = (await restJson(b.url, '/api/agents', { token: operatorToken })).body as AgentInfo[];
      const byId = (list: AgentInfo[]) =>
        Object.fromEntries(list.filter((x) => agentIds.includes(x.agent_id)).map((x) => [x.agent_id, x.latest]));
      expect(byId(latestB)).toEqual(byId(agentsOnA));
    } finally {
      fleet?.stop();
      await late?.close();
    }
  });
  it('GET /api/tasks serves the identical task record on every process, a process that joined later included (params, created_at)', async () => {
    const operatorToken = await tokenFor('record-op', 'operator');
    const taskId = `task_record_${process.pid}_${Date.now()}`;
    const operator = await connect(b, 'record-op', 'operator');
    const agent = await connect(a, 'agent_rec', 'agent');
    const watcher = await connect(c, 'record-watch');
    await watcher.subscribe('tasks');
    await operator.publish('commands', {
      command: 'execute_task',
      task_id: taskId,
      agent_id: 'agent_rec',
      params: { script: 'backup.sh', retries: 2 },
    });
    await waitForFrame(watcher, (f) => dataOf(f).task_id === taskId && dataOf(f).status === 'queued');
    // A real agent reports once the command reached it, when its process (A) knows the task.
    expect(
      await pollUntil(async () => {
        const tasks = (await restJson(a.url, '/api/tasks', { token: operatorToken })).body as Task[];
        return tasks.some((t) => t.task_id === taskId);
      }, 5000),
    ).toBe(true);
    await agent.publish('tasks', {
      task_id: taskId,
      status: 'running',
      progress: 50,
      agent_id: 'agent_rec',
      updated_at: new Date().toISOString(),
    });
    await agent.publish('tasks', {
      task_id: taskId,
      status: 'succeeded',
      progress: 100,
      agent_id: 'agent_rec',
      updated_at: new Date().toISOString(),
    });
    await waitForFrame(watcher, (f) => dataOf(f).task_id === taskId && dataOf(f).status === 'succeeded');
    await sleep(50);
    const late = await startServer({ env: { NEXUS_REDIS_URL: redis.url } });
    extraServers.push(late);
    try {
      const recordOn = async (server: TestServer) => {
        let task: Task | undefined;
        await pollUntil(async () => {
          const list = (await restJson(server.url, '/api/tasks', { token: operatorToken })).body as Task[];
          task = list.find((t) => t.task_id === taskId);
          return task?.status === 'succeeded';
        }, 3000);
        return task;
      };
      const onB = await recordOn(b);
      expect(onB).toMatchObject({
        task_id: taskId,
        status: 'succeeded',
        progress: 100,
        agent_id: 'agent_rec',
        params: { script: 'backup.sh', retries: 2 },
      });
      expect(Date.parse(onB!.created_at)).toBeLessThanOrEqual(Date.parse(onB!.updated_at));
      expect({ a: await recordOn(a), c: await recordOn(c), late: await recordOn(late) }).toEqual({
        a: onB,
        c: onB,
        late: onB,
      });
    } finally {
      await late.close();
    }
  });

  it('a subscriber joining on B while A publishes continuously gets every message after its subscribed seq, once, in order (20 rounds)', async () => {
    const TOTAL = 40;
    for (let round = 0; round < 20; round++) {
      const channel = freshChannel('cluster.race');
      // A fresh publisher per round stays far below the per-connection rate limit.
      const publisher = await connect(a, `race-pub-${round}`, 'operator');
      const subscriber = await connect(b, `race-sub-${round}`);
      // Publishes stream from A while the subscribe on B is being answered.
      for (let i = 1; i <= TOTAL; i++) {
        publisher.send({ action: 'publish', id: `r${i}`, channel, payload: { i } });
        if (i === 5 + round) subscriber.send({ action: 'subscribe', id: 'sub', channel });
        if (i % 5 === 0) await sleep(1);
      }
      const subscribed = await waitForFrame(subscriber, (f) => f.id === 'sub', { timeoutMs: 5000 });
      expect(subscribed.type).toBe('subscribed');
      expect(await pollUntil(() => publisher.ofType('ack').length === TOTAL, 5000)).toBe(true);
      const from = (subscribed.seq as number) + 1;
      await waitForDeliveries(subscriber, channel, TOTAL - from + 1, 5000);
      await sleep(20);
      const got = deliveries(subscriber, channel);
      expect(seqsOf(got), `round ${round}, subscribed at seq ${from - 1}`).toEqual(range(from, TOTAL));
      expect(got.map((f) => dataOf(f).i)).toEqual(range(from, TOTAL));
      await pool.closeAll();
    }
  });
});
