/**
 * `NEXUS_TELEMETRY_MAX_BYTES` bounds the rollups in Redis, deployment-wide: two Nexus processes on
 * one real redis-server with a tiny budget, fed by many agents (through operator connections,
 * which may speak for any agent), thirty early ones first, then thirty others from the next second
 * on (the early ones, heard a second before, may leave for them). Redis keeps within
 * the budget as `MEMORY USAGE` counts its keys, the agents heard longest ago are gone from it, and
 * the fleet's buckets stay for the whole range, answered the same by both processes. The clock is
 * injected and moved one second per round, once a watcher on each process has the round.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fastPolicyFile } from '../../helpers/policy-file.js';
import { pollUntil } from '../../helpers/raw.js';
import { startRedis, type TestRedis } from '../../helpers/redis.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { tokenFor } from '../../helpers/tokens.js';
import { TestClient } from '../../helpers/ws-client.js';

const T0 = Date.UTC(2026, 5, 1, 13, 0, 0);
const clock = { ms: T0 + 200 };
const BUDGET_BYTES = 400_000;
const ROUNDS = 20;
const AGENTS_PER_ROUND = 30;

interface Answer {
  fleet: { t: number; agents: number }[];
}

describe('the telemetry byte budget in Redis (two processes)', () => {
  let redis: TestRedis;
  let inspect: Redis;
  let viewer: string;
  let baselineBytes = 0;
  const servers: TestServer[] = [];
  const clients: TestClient[] = [];

  const telemetry = async (server: TestServer, query: string): Promise<Answer> => {
    const headers = { authorization: `Bearer ${viewer}` };
    const response = await fetch(`${server.url}/api/telemetry?${query}`, { headers });
    expect(response.status, await response.clone().text()).toBe(200);
    return (await response.json()) as Answer;
  };
  const allRounds = `metric=cpu_usage&step=1s&from=${T0}&to=${T0 + ROUNDS * 1000 - 1}`;
  const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await inspect.info('memory'))?.[1]);

  beforeAll(async () => {
    redis = await startRedis();
    inspect = new Redis(redis.url);
    const env = {
      NEXUS_REDIS_URL: redis.url,
      NEXUS_TELEMETRY_MAX_BYTES: String(BUDGET_BYTES),
      NEXUS_POLICY: fastPolicyFile(),
      LOG_LEVEL: 'error',
    };
    for (let i = 0; i < 2; i++) servers.push(await startServer({ env, deps: { now: () => clock.ms } }));
    viewer = await tokenFor('budget-viewer');
    const watchers = await Promise.all(servers.map((s) => TestClient.connect(s.wsUrl, viewer)));
    const operators = await Promise.all(
      servers.map(async (s, i) => TestClient.connect(s.wsUrl, await tokenFor(`budget-op-${i}`, 'operator'))),
    );
    clients.push(...watchers, ...operators);
    for (const watcher of watchers) await watcher.subscribe('telemetry');
    baselineBytes = await usedMemory();
    // Rounds 0-9: early-0…29 report; rounds 10-19: late-0…29. Each agent on one process or the other.
    for (let round = 0; round < ROUNDS; round++) {
      const group = round < ROUNDS / 2 ? 'early' : 'late';
      const acks = Array.from({ length: AGENTS_PER_ROUND }, (_, i) =>
        operators[i % 2]!.publish('telemetry', { agent_id: `${group}-${i}`, cpu_usage: i + round }),
      );
      for (const ack of await Promise.all(acks)) expect(ack.type).toBe('ack');
      const seen = AGENTS_PER_ROUND * (round + 1);
      for (const watcher of watchers)
        expect(await pollUntil(() => watcher.ofType('message').length >= seen, 10_000)).toBe(true);
      clock.ms += 1000;
    }
    const [a, b] = servers as [TestServer, TestServer];
    const settled = await pollUntil(async () => {
      const [fromA, fromB] = [await telemetry(a, allRounds), await telemetry(b, allRounds)];
      return fromA.fleet.length === ROUNDS && JSON.stringify(fromA.fleet) === JSON.stringify(fromB.fleet);
    }, 20_000);
    expect(settled).toBe(true);
  }, 90_000);
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await Promise.all(servers.map((server) => server.close()));
    inspect?.disconnect();
    await redis?.stop();
  });

  it('keeps the rollups in Redis within the budget', async () => {
    const keys = await inspect.keys('nexus:tel:*');
    const sizes = await Promise.all(keys.map((key) => inspect.memory('USAGE', key)));
    const rollupBytes = sizes.reduce<number>((sum, size) => sum + (size ?? 0), 0);
    expect(rollupBytes).toBeLessThanOrEqual(BUDGET_BYTES);
    expect(rollupBytes).toBeGreaterThan(BUDGET_BYTES / 2); // the budget is used: agents were kept
    // Redis as a whole grew by the rollups and the telemetry channel's own history, no more.
    const historyBytes = Number(await inspect.get('nexus:hist-bytes'));
    expect((await usedMemory()) - baselineBytes).toBeLessThan(BUDGET_BYTES + 2 * historyBytes + 256 * 1024);
  });

  it('lets the agents heard longest ago go first, and keeps every fleet bucket', async () => {
    // Room for about forty agents: every late one is kept, the early ones made room for them.
    const kept = await inspect.hkeys('nexus:tel:agents');
    const late = Array.from({ length: AGENTS_PER_ROUND }, (_, i) => `late-${i}`);
    expect(kept.filter((id) => id.startsWith('late-')).sort()).toEqual(late.sort());
    expect(kept.length).toBeLessThan(2 * AGENTS_PER_ROUND);
    const [a, b] = servers as [TestServer, TestServer];
    const fromA = await telemetry(a, allRounds);
    expect(fromA.fleet.map((bucket) => bucket.agents)).toEqual(Array(ROUNDS).fill(AGENTS_PER_ROUND));
    expect((await telemetry(b, allRounds)).fleet).toEqual(fromA.fleet);
  });
});
