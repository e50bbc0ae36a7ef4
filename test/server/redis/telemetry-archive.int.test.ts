/**
 * The rollup archive itself (state/redis-rollups.ts) on a real redis-server, as two processes
 * would hold it: each with its own connection and archive, both handed every closed bucket as the
 * rollup engine hands them. Proves that one process writes each bucket (Redis MONITOR counts the
 * ring writes), that every archive (and one opened later, and two opened after both closed)
 * reads the same buckets back, that the byte budget holds in Redis as `MEMORY USAGE` counts it
 * (the agents heard from longest ago gone, the fleet kept), that a writer that dies is replaced
 * without losing the buckets of the gap, and that a Redis outage is told once and thrown nowhere.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pollUntil } from '../../helpers/raw.js';
import { startRedis, type TestRedis } from '../../helpers/redis.js';
import { RedisRollupArchive } from '../../../src/server/state/redis-rollups.js';
import { claimKey, rollupFleetKey } from '../../../src/server/state/redis-keys.js';
import type { ClosedBuckets, RollupQuery, RollupStep } from '../../../src/server/state/index.js';

const STEP_MS: Record<RollupStep, number> = { '1s': 1000, '10s': 10_000, '1m': 60_000 };

/** A closed bucket in which each agent sent one value per metric. */
function closedBucket(step: RollupStep, t: number, values: Record<string, Record<string, number>>): ClosedBuckets {
  const metrics = Object.entries(values).map(([metric, byAgent]) => {
    const agentIds = Object.keys(byAgent);
    const column = Object.values(byAgent);
    const sorted = [...column].sort((a, b) => a - b);
    const fleet = {
      t,
      min: sorted[0]!,
      median: sorted[Math.floor((sorted.length - 1) / 2)]!,
      max: sorted[sorted.length - 1]!,
      agents: sorted.length,
    };
    return { metric, fleet, agentIds, avg: column, min: column, max: column, last: column };
  });
  return { step, stepMs: STEP_MS[step], t, metrics };
}

/** One process's archive on its own connection. */
interface Process {
  readonly id: string;
  readonly connection: Redis;
  readonly archive: RedisRollupArchive;
  readonly outages: (string | undefined)[];
}

async function openProcess(url: string, budgetBytes?: number): Promise<Process> {
  const id = randomUUID();
  const connection = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    lazyConnect: true,
    retryStrategy: () => 100,
  });
  connection.on('error', () => {});
  await connection.connect();
  const outages: (string | undefined)[] = [];
  const archive = new RedisRollupArchive({
    processId: id,
    commands: connection,
    now: Date.now,
    isUp: () => connection.status === 'ready',
    claim: async (name, ttlMs) => (await connection.set(claimKey(name), id, 'PX', ttlMs, 'NX')) === 'OK',
    ...(budgetBytes === undefined ? {} : { budgetBytes }),
    wrote: () => {},
    onOutage: (error) => outages.push(error?.message),
    leaseMs: 900,
    renewMs: 150,
  });
  return { id, connection, archive, outages };
}

async function closeProcess(process: Process): Promise<void> {
  await process.archive.close();
  process.connection.disconnect();
}

/** The process holding the writer's lease, once one does. */
async function writerOf(processes: readonly Process[]): Promise<Process> {
  expect(await pollUntil(() => processes.some((p) => p.archive.writing), 5000)).toBe(true);
  return processes.find((p) => p.archive.writing)!;
}

/** Hands `closed` to every process, as each one's rollup engine does, and waits for the writes. */
const closeEverywhere = (processes: readonly Process[], closed: ClosedBuckets) =>
  Promise.all(processes.map((p) => p.archive.write(closed)));

const query = (metric: string, fromMs: number, toMs: number, agentIds?: string[]): RollupQuery => ({
  metric,
  step: '1s',
  fromMs,
  toMs,
  topAgents: 8,
  ...(agentIds ? { agentIds } : {}),
});

/** A plain object of an answer, for comparing answers of different processes. */
const plain = async (process: Process, q: RollupQuery) => {
  const answer = await process.archive.read(q);
  return { fleet: answer.fleet, agents: Object.fromEntries(answer.agents) };
};

/** The start of the current second, minus `seconds`. */
const secondsAgo = (seconds: number) => Math.floor(Date.now() / 1000) * 1000 - seconds * 1000;

describe('telemetry archive: two processes on one Redis', () => {
  let redis: TestRedis;
  let inspect: Redis;
  const open: Process[] = [];
  const start = async (budgetBytes?: number) => {
    const process = await openProcess(redis.url, budgetBytes);
    open.push(process);
    return process;
  };

  beforeAll(async () => {
    redis = await startRedis();
    inspect = new Redis(redis.url);
    inspect.on('error', () => {}); // Redis is stopped on purpose below
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map(closeProcess));
    await inspect.flushall();
  });
  afterAll(async () => {
    inspect?.disconnect();
    await redis?.stop();
  });

  it('writes each closed bucket once, and both processes read the same buckets', async () => {
    const [a, b] = [await start(), await start()];
    const writer = await writerOf([a, b]);
    const monitor = await inspect.monitor(); // a connection of its own
    const ringWrites: { source: string; args: string[] }[] = [];
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      const command = args[0]?.toLowerCase();
      if ((command === 'evalsha' || command === 'eval') && args[3]?.startsWith('nexus:tel:s:1s:'))
        ringWrites.push({ source, args });
    });
    const t0 = secondsAgo(5);
    for (let i = 0; i < 3; i++)
      await closeEverywhere(
        [a, b],
        closedBucket('1s', t0 + i * 1000, { cpu: { a1: 10 + i, a2: 20 + i, a3: 30.2 + i } }),
      );
    await pollUntil(() => ringWrites.length >= 3, 2000);
    monitor.disconnect();
    expect(ringWrites).toHaveLength(3); // one call per bucket (three series each), from one connection
    expect(new Set(ringWrites.map((w) => w.source)).size).toBe(1);
    for (let i = 0; i < 3; i++) expect(await inspect.get(claimKey(`tel:1s:${t0 + i * 1000}`))).toBe(writer.id);

    const q = query('cpu', t0, t0 + 2999);
    const fromA = await plain(a, q);
    expect(fromA.fleet).toEqual(
      [0, 1, 2].map((i) => ({ t: t0 + i * 1000, min: 10 + i, median: 20 + i, max: 30.2 + i, agents: 3 })),
    );
    expect(Object.keys(fromA.agents)).toEqual(['a3', 'a2', 'a1']); // highest mean first
    expect(fromA.agents.a3).toEqual(
      [0, 1, 2].map((i) => ({ t: t0 + i * 1000, avg: 30.2 + i, min: 30.2 + i, max: 30.2 + i, last: 30.2 + i })),
    );
    expect(await plain(b, q)).toEqual(fromA);
    expect(await plain(b, query('cpu', t0, t0 + 999, ['a2', 'nobody']))).toEqual({
      fleet: [fromA.fleet[0]],
      agents: { a2: [{ t: t0, avg: 20, min: 20, max: 20, last: 20 }] },
    });
    expect(await a.archive.metrics()).toEqual([{ metric: 'cpu', agents: 3 }]);
  });

  it('answers a process opened later, and two opened after both closed, what was written before', async () => {
    const [a, b] = [await start(), await start()];
    await writerOf([a, b]);
    const t0 = secondsAgo(10);
    for (let i = 0; i < 5; i++)
      await closeEverywhere([a, b], closedBucket('1s', t0 + i * 1000, { mem: { x: 100 * i } }));
    const late = await start();
    const q = query('mem', t0, t0 + 4999, ['x']);
    const before = await plain(a, q);
    expect(before.fleet).toHaveLength(5);
    expect(await plain(late, q)).toEqual(before);

    await Promise.all(open.splice(0).map(closeProcess)); // every process stops
    const [c, d] = [await start(), await start()];
    expect(await plain(c, q)).toEqual(before);
    expect(await plain(d, q)).toEqual(before);
  });

  it('keeps Redis within the byte budget: the agents heard longest ago leave, the fleet stays', async () => {
    const budgetBytes = 1_000_000; // the fleet of one metric (~330 KB) and a few agents (~103 KB each)
    const a = await start(budgetBytes);
    await writerOf([a]);
    const t0 = secondsAgo(60);
    for (let i = 0; i < 40; i++) {
      const agents = Object.fromEntries(Array.from({ length: 5 }, (_, k) => [`agent-${i}-${k}`, i * 10 + k]));
      // Every step, so each kept series has all three of its rings.
      await a.archive.write(closedBucket('1s', t0 + i * 1000, { load: agents }));
      await a.archive.write(closedBucket('10s', t0 - 600_000 + i * 10_000, { load: agents }));
      await a.archive.write(closedBucket('1m', t0 - 3_600_000 + i * 60_000, { load: agents }));
    }
    const keys = await inspect.keys('nexus:tel:*');
    const sizes = await Promise.all(keys.map((key) => inspect.memory('USAGE', key)));
    const total = sizes.reduce<number>((sum, size) => sum + (size ?? 0), 0);
    expect(total).toBeLessThanOrEqual(budgetBytes);
    expect(a.archive.usedBytes).toBeLessThanOrEqual(budgetBytes);
    // What the writer counts is what Redis holds (within its own bookkeeping), and the budget is used.
    expect(total).toBeLessThanOrEqual(a.archive.usedBytes);
    expect(total).toBeGreaterThan(a.archive.usedBytes * 0.9);
    expect(total).toBeGreaterThan(budgetBytes * 0.8);

    const answer = await a.archive.read(query('load', t0, t0 + 40_000));
    expect(answer.fleet).toHaveLength(40); // every fleet bucket kept
    const kept = [...(await inspect.hkeys('nexus:tel:agents'))].sort();
    const heardOrder = Array.from({ length: 40 * 5 }, (_, n) => `agent-${Math.floor(n / 5)}-${n % 5}`);
    expect(kept.length).toBeGreaterThanOrEqual(5);
    expect(kept).toEqual(heardOrder.slice(-kept.length).sort()); // only the newest heard
    const early = await a.archive.read(query('load', t0, t0 + 40_000, ['agent-0-0', 'agent-39-4']));
    expect([...early.agents.keys()]).toEqual(['agent-39-4']);
    expect(await inspect.exists(rollupFleetKey('1s', 'load'))).toBe(1);
  });

  it('hands the writing over when the writer dies, without losing the buckets of the gap', async () => {
    const [a, b] = [await start(), await start()];
    const writer = await writerOf([a, b]);
    const other = writer === a ? b : a;
    const t0 = secondsAgo(8);
    await closeEverywhere([a, b], closedBucket('1s', t0, { cpu: { z: 1 } }));
    writer.connection.disconnect(); // dies: its lease is never renewed nor released
    open.splice(open.indexOf(writer), 1);
    await other.archive.write(closedBucket('1s', t0 + 1000, { cpu: { z: 2 } })); // closed during the gap
    expect(await pollUntil(() => other.archive.writing, 3000)).toBe(true);
    await other.archive.write(closedBucket('1s', t0 + 2000, { cpu: { z: 3 } }));
    await pollUntil(async () => (await other.archive.read(query('cpu', t0, t0 + 2999))).fleet.length === 3, 2000);
    const answer = await other.archive.read(query('cpu', t0, t0 + 2999, ['z']));
    expect(answer.agents.get('z')?.map((bucket) => bucket.avg)).toEqual([1, 2, 3]);
    await writer.archive.close();
  });

  it('tells a Redis outage once, throws nothing, and reads nothing until Redis is back', async () => {
    const a = await start();
    await writerOf([a]);
    const t0 = secondsAgo(3);
    await a.archive.write(closedBucket('1s', t0, { cpu: { q: 1 } }));
    await redis.stop();
    try {
      await pollUntil(() => a.connection.status !== 'ready', 3000);
      for (let i = 1; i <= 3; i++)
        await expect(a.archive.write(closedBucket('1s', t0 + i * 1000, { cpu: { q: i } }))).resolves.toBeUndefined();
      expect(await a.archive.read(query('cpu', t0, t0 + 3999))).toEqual({ fleet: [], agents: new Map() });
      expect(a.outages).toEqual(['Redis is unreachable']);
    } finally {
      await redis.restart();
    }
    await pollUntil(() => a.connection.status === 'ready' && a.archive.writing, 5000);
    await a.archive.write(closedBucket('1s', secondsAgo(0), { cpu: { q: 9 } }));
    expect(a.outages).toEqual(['Redis is unreachable', undefined]);
  });
});
