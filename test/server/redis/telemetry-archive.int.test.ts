/**
 * The rollup archive itself (state/redis-rollups.ts) on a real redis-server, as two processes
 * would hold it: each with its own connection and archive, both handed every closed bucket as the
 * rollup engine hands them. Proves that one process writes each bucket (Redis MONITOR counts the
 * ring writes), that every archive (and one opened later, and two opened after both closed)
 * reads the same buckets back, that the byte budget holds in Redis as `MEMORY USAGE` counts it
 * (the agents heard from longest ago gone, the fleet kept), that a writer that dies is replaced
 * without losing the buckets of the gap, and that a Redis outage is told once and thrown nowhere.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pollUntil } from '../../helpers/raw.js';
import { startRedis, type TestRedis } from '../../helpers/redis.js';
import { claimKey, rollupFleetKey } from '../../../src/server/state/redis-keys.js';
import {
  closeEverywhere,
  closedBucket,
  closeProcess,
  openProcess,
  plain,
  query,
  secondsAgo,
  writerOf,
  type Process,
} from './telemetry-archive-helpers.js';
import { Redis } from 'ioredis';

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
    await pollUntil(() => ringWrites.length >= 3, 10_000);
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
    expect((await plain(b, query('cpu', t0, t0 + 999, []))).agents).toEqual({}); // none asked, none read
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
    const budgetBytes = 1_000_000; // the fleet of one metric (~270 KB) and about a hundred young agents
    const a = await start(budgetBytes);
    await writerOf([a]);
    // Forty minutes, a bucket of each step a minute: five new agents each, and one heard every time
    // (its rings grow: the 1 s ring wraps after 15 min, the 10 s ring grows by 60 records at a time).
    const base = Math.floor(Date.now() / 60_000) * 60_000 - 40 * 60_000;
    for (let i = 0; i < 40; i++) {
      const agents = Object.fromEntries(Array.from({ length: 5 }, (_, k) => [`agent-${i}-${k}`, i * 10 + k]));
      const values = { load: { ...agents, steady: 1000 + i } };
      for (const step of ['1s', '10s', '1m'] as const)
        await a.archive.write(closedBucket(step, base + i * 60_000, values));
    }
    const keys = await inspect.keys('nexus:tel:*');
    const sizes = await Promise.all(keys.map((key) => inspect.memory('USAGE', key)));
    const total = sizes.reduce<number>((sum, size) => sum + (size ?? 0), 0);
    // Series rings grow with their agent's age, 60 records at a time: 40 minutes of the steady
    // agent are a full 1 s ring (15 min), 240 records of 10 s and 60 (40 used) of 1 min.
    const steady = (JSON.parse((await inspect.hget('nexus:tel:agents', 'steady'))!) as { n: number }).n;
    const lengths = await Promise.all(
      ['1s', '10s', '1m'].map((step) => inspect.strlen(`nexus:tel:s:${step}:${steady}:load`)),
    );
    expect(lengths).toEqual([900 * 20, 240 * 20, 60 * 20]);
    expect(total).toBeLessThanOrEqual(budgetBytes);
    expect(a.archive.usedBytes).toBeLessThanOrEqual(budgetBytes);
    // What the writer counts is what Redis holds (less its bookkeeping estimate), and the budget is used.
    expect(total).toBeLessThanOrEqual(a.archive.usedBytes);
    expect(total).toBeGreaterThan(a.archive.usedBytes * 0.9);
    expect(total).toBeGreaterThan(budgetBytes * 0.8);

    const minutes = { ...query('load', base, base + 40 * 60_000), step: '1m' as const };
    expect((await a.archive.read(minutes)).fleet).toHaveLength(40); // every fleet bucket kept
    const kept = (await inspect.hkeys('nexus:tel:agents')).filter((id) => id !== 'steady').sort();
    const heardOrder = Array.from({ length: 40 * 5 }, (_, n) => `agent-${Math.floor(n / 5)}-${n % 5}`);
    expect(kept.length).toBeGreaterThanOrEqual(5);
    expect(kept.length).toBeLessThan(200); // some had to leave
    expect(kept).toEqual(heardOrder.slice(-kept.length).sort()); // only the newest heard
    const early = await a.archive.read({ ...minutes, agentIds: ['agent-0-0', 'agent-39-4', 'steady'] });
    expect([...early.agents.keys()].sort()).toEqual(['agent-39-4', 'steady']);
    expect(early.agents.get('steady')).toHaveLength(40);
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
    expect(await pollUntil(() => other.archive.writing, 10_000)).toBe(true);
    await other.archive.write(closedBucket('1s', t0 + 2000, { cpu: { z: 3 } }));
    await pollUntil(async () => (await other.archive.read(query('cpu', t0, t0 + 2999))).fleet.length === 3, 10_000);
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
