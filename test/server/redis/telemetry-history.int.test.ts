/**
 * Telemetry history shared through Redis, end to end: two Nexus processes on one real
 * redis-server, real agent connections on both, `GET /api/telemetry` asked of each. Both
 * processes share an injected clock moved one second per round of telemetry (a round is over
 * once a watcher on each process has it), so minutes of rollups take a second or two.
 *
 * Proves: both processes answer the same history; each closed bucket is written to Redis once
 * (MONITOR counts the ring writes), and `telemetry.fleet` is published once per second across
 * both (its history in Redis); a process started later, and two started after both stopped,
 * answer the earlier buckets; with Redis stopped, live telemetry still answers from memory,
 * `/healthz` answers 503 degraded, and the archive's failing writes are logged once.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntil } from '../../helpers/raw.js';
import { startRedis, type TestRedis } from '../../helpers/redis.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { tokenFor } from '../../helpers/tokens.js';
import { TestClient } from '../../helpers/ws-client.js';

/** A whole minute, so rounds fill whole 10 s and 1 min buckets; each round at .200 of its second. */
const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);
const ROUNDS = 30;
const clock = { ms: T0 + 200 };

interface Answer {
  fleet: { t: number; min: number; median: number; max: number; agents: number }[];
  agents: Record<string, { t: number; avg: number; min: number; max: number; last: number }[]>;
}

describe('telemetry history across two processes on one Redis', () => {
  let redis: TestRedis;
  let inspect: Redis;
  let viewer: string;
  const servers: TestServer[] = [];
  const clients: TestClient[] = [];
  /** Fleet ring writes seen by MONITOR: `<step prefix> <offset>` (one bucket) → calls. */
  const fleetWrites = new Map<string, number>();
  /** Series ring-write calls seen by MONITOR, per step prefix (each carries a bucket's series). */
  const seriesCalls = new Map<string, number>();
  let monitor: Redis;

  const start = async () => {
    const server = await startServer({
      env: { NEXUS_REDIS_URL: redis.url },
      deps: { now: () => clock.ms },
      captureLogs: true,
    });
    servers.push(server);
    return server;
  };
  const stop = async (server: TestServer) => {
    servers.splice(servers.indexOf(server), 1);
    await server.close();
  };
  const telemetry = async (server: TestServer, query: string): Promise<Answer> => {
    const response = await fetch(`${server.url}/api/telemetry?${query}`, {
      headers: { authorization: `Bearer ${viewer}` },
    });
    expect(response.status, await response.clone().text()).toBe(200);
    return (await response.json()) as Answer;
  };
  const allRounds = `metric=cpu_usage&step=1s&from=${T0}&to=${T0 + ROUNDS * 1000 - 1}`;

  beforeAll(async () => {
    redis = await startRedis();
    inspect = new Redis(redis.url);
    inspect.on('error', () => {}); // Redis is stopped on purpose below
    monitor = await inspect.monitor(); // a connection of its own
    monitor.on('error', () => {});
    monitor.on('monitor', (_time: string, args: string[]) => {
      const command = args[0]?.toLowerCase();
      if (command !== 'evalsha' && command !== 'eval') return;
      const prefix = args[3] ?? '';
      if (prefix.startsWith('nexus:tel:s:')) seriesCalls.set(prefix, (seriesCalls.get(prefix) ?? 0) + 1);
      const bucket = `${prefix} ${args[4]}`;
      if (prefix.startsWith('nexus:tel:f:')) fleetWrites.set(bucket, (fleetWrites.get(bucket) ?? 0) + 1);
    });
    viewer = await tokenFor('history-viewer');
    const [a, b] = [await start(), await start()];
    const watchers = [await TestClient.connect(a.wsUrl, viewer), await TestClient.connect(b.wsUrl, viewer)];
    clients.push(...watchers);
    for (const watcher of watchers) await watcher.subscribe('telemetry');
    const agents = [];
    for (let i = 0; i < 4; i++) {
      const agent = await TestClient.connect((i % 2 === 0 ? a : b).wsUrl, await tokenFor(`hist-${i}`, 'agent'));
      agents.push(agent);
    }
    clients.push(...agents);
    // Agent i reports cpu = 10 * i + round, every round.
    for (let round = 0; round < ROUNDS; round++) {
      const acks = agents.map((agent, i) =>
        agent.publish('telemetry', { agent_id: `hist-${i}`, cpu_usage: 10 * i + round }),
      );
      for (const ack of await Promise.all(acks)) expect(ack.type).toBe('ack');
      const seen = 4 * (round + 1);
      for (const watcher of watchers)
        expect(await pollUntil(() => watcher.ofType('message').length >= seen, 10_000)).toBe(true);
      clock.ms += 1000;
    }
    // Every second closed and archived: both processes answer all of them, the same.
    const settled = await pollUntil(async () => {
      const [fromA, fromB] = [await telemetry(a, allRounds), await telemetry(b, allRounds)];
      return fromA.fleet.length === ROUNDS && JSON.stringify(fromA) === JSON.stringify(fromB);
    }, 20_000);
    expect(settled).toBe(true);
  }, 90_000);
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await Promise.all(servers.map((server) => server.close()));
    monitor?.disconnect();
    inspect?.disconnect();
    await redis?.stop();
  });

  it('answers the same history on both processes, each bucket written to Redis once', async () => {
    const [a, b] = servers as [TestServer, TestServer];
    const fromA = await telemetry(a, allRounds);
    expect(await telemetry(b, allRounds)).toEqual(fromA);
    expect(fromA.fleet.map((bucket) => bucket.agents)).toEqual(Array(ROUNDS).fill(4));
    expect(fromA.fleet[5]).toMatchObject({ t: T0 + 5000, min: 5, max: 35 });
    expect(Object.keys(fromA.agents).sort()).toEqual(['hist-0', 'hist-1', 'hist-2', 'hist-3']);
    expect(fromA.agents['hist-3']![0]).toEqual({ t: T0, avg: 30, min: 30, max: 30, last: 30 });

    // Each closed second: its fleet record written once, its series in one call, one claim.
    const secondWrites = [...fleetWrites].filter(([key]) => key.startsWith('nexus:tel:f:1s: '));
    expect(secondWrites.length).toBeGreaterThanOrEqual(ROUNDS);
    expect(secondWrites.every(([, calls]) => calls === 1)).toBe(true);
    expect(seriesCalls.get('nexus:tel:s:1s:')).toBe(secondWrites.length);
    const claims = await inspect.keys('nexus:once:tel:1s:*');
    expect(claims.length).toBe(secondWrites.length);
  });

  it('publishes telemetry.fleet once per second across both processes', async () => {
    const stored = await inspect.lrange('nexus:hist:telemetry.fleet', 0, -1);
    const seconds = stored.map((item) => {
      const body = JSON.parse(item.slice(item.indexOf('|') + 1)) as { data: { t: number } };
      return body.data.t;
    });
    const expected = Array.from({ length: ROUNDS }, (_, round) => T0 + round * 1000);
    expect([...seconds].sort((x, y) => x - y)).toEqual(expected); // each second exactly once
  });

  it('answers a process started later, and two started after every process stopped', async () => {
    const before = await telemetry(servers[0]!, allRounds);
    const late = await start();
    expect(await telemetry(late, allRounds)).toEqual(before);
    const tenSeconds = `metric=cpu_usage&step=10s&from=${T0}&to=${T0 + ROUNDS * 1000 - 1}&agent_id=hist-1`;
    const coarse = await telemetry(servers[0]!, tenSeconds);
    expect(coarse.fleet.map((bucket) => bucket.t)).toEqual([T0, T0 + 10_000, T0 + 20_000]);
    expect(await telemetry(late, tenSeconds)).toEqual(coarse);

    await Promise.all(clients.splice(0).map((client) => client.close()));
    for (const server of [...servers]) await stop(server); // every process stops
    const [c, d] = [await start(), await start()];
    expect(await telemetry(c, allRounds)).toEqual(before);
    expect(await telemetry(d, allRounds)).toEqual(before);
    expect(await telemetry(d, tenSeconds)).toEqual(coarse);
  });

  it('with Redis stopped, answers live telemetry from memory, says degraded, and logs the archive once', async () => {
    const server = servers[0]!;
    const agent = await TestClient.connect(server.wsUrl, await tokenFor('hist-live', 'agent'));
    const band = await TestClient.connect(server.wsUrl, viewer);
    clients.push(agent, band);
    await band.subscribe('telemetry.fleet');
    await redis.stop();
    try {
      expect(await pollUntil(async () => (await fetch(`${server.url}/healthz`)).status === 503, 6000)).toBe(true);
      expect(await (await fetch(`${server.url}/healthz`)).json()).toMatchObject({ status: 'degraded', redis: 'down' });
      const fromMs = Math.floor(clock.ms / 1000) * 1000;
      for (let round = 0; round < 3; round++) {
        expect(await agent.publish('telemetry', { agent_id: 'hist-live', cpu_usage: 70 + round })).toMatchObject({
          type: 'ack',
        });
        await new Promise((resolve) => setTimeout(resolve, 50));
        clock.ms += 1000;
      }
      const live = `metric=cpu_usage&step=1s&from=${fromMs}&to=${fromMs + 2999}&agent_id=hist-live`;
      expect(await pollUntil(async () => (await telemetry(server, live)).fleet.length === 3, 10_000)).toBe(true);
      const answer = await telemetry(server, live);
      expect(answer.agents['hist-live']?.map((bucket) => bucket.avg)).toEqual([70, 71, 72]);
      // The fleet band goes on too: this process publishes its own summary while nobody can be
      // asked who publishes it.
      const fleet = await band.next(
        (f) => f.type === 'broadcast' && f.channel === 'telemetry.fleet' && (f.data as { t: number }).t >= fromMs,
        5000,
      );
      expect((fleet.data as { metrics: Record<string, unknown> }).metrics).toHaveProperty('cpu_usage');
    } finally {
      await redis.restart();
    }
    // The writer tells the archive's outage once (not once per bucket), and its end.
    const lines = (text: string) => servers.map((s) => s.logLines.filter((line) => line.includes(text)).length);
    expect(await pollUntil(() => lines('telemetry archive writes work again').some((n) => n > 0), 6000)).toBe(true);
    const failing = lines('telemetry archive writes failing');
    expect(failing.every((n) => n <= 1)).toBe(true);
    expect(failing.reduce((sum, n) => sum + n, 0)).toBe(1);
  });
});
