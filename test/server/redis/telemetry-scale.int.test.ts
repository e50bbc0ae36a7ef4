/**
 * The rollup archive at fleet scale on a real redis-server: 10,000 agents × 6 metrics a second
 * are one pipeline of short script calls per bucket (bounded round trips, no call holding Redis
 * long), and the top agents of a query come from the top rings without reading every ring.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../../helpers/redis.js';
import { RINGS_PER_CALL } from '../../../src/server/state/redis-rollup-batch.js';
import {
  closedBucket,
  closeProcess,
  openProcess,
  secondsAgo,
  writerOf,
  type Process,
} from './telemetry-archive-helpers.js';

describe('telemetry archive at fleet scale', () => {
  let redis: TestRedis;
  let inspect: Redis;
  let process: Process | undefined;
  beforeAll(async () => {
    redis = await startRedis();
    inspect = new Redis(redis.url);
  });
  afterAll(async () => {
    if (process) await closeProcess(process);
    inspect?.disconnect();
    await redis?.stop();
  });

  it('archives 10,000 agents × 6 metrics a second as one pipeline of short calls', async () => {
    process = await openProcess(redis.url, 256 * 1024 * 1024, { leaseMs: 3000, renewMs: 1000 });
    await writerOf([process]);
    const metrics = ['cpu_usage', 'memory_mb', 'disk_io', 'net_in', 'net_out', 'temperature'];
    const ids = Array.from({ length: 10_000 }, (_, i) => `fleet-agent-${i}`);
    const values = Object.fromEntries(
      metrics.map((m, k) => [m, Object.fromEntries(ids.map((id, i) => [id, (i % 100) + k]))]),
    );
    const buckets = [5, 4, 3].map((ago) => closedBucket('1s', secondsAgo(ago), values));
    // Once the rings exist (the first bucket creates 60,000 of them), no call may hold Redis long:
    // a generous bound, as this machine is shared; a call takes a few milliseconds when idle.
    await inspect.config('SET', 'slowlog-log-slower-than', '100000');
    const scriptCalls = async () => {
      const stats = await inspect.info('commandstats');
      return [...stats.matchAll(/cmdstat_eval(?:sha)?:calls=(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
    };
    const calls: number[] = [];
    for (const closed of buckets) {
      const before = await scriptCalls();
      await process.archive.write(closed);
      calls.push((await scriptCalls()) - before);
      if (closed === buckets[0]) await inspect.slowlog('RESET');
    }
    // 60,000 series in calls of RINGS_PER_CALL rings, plus the fleet and top rings, per bucket
    // (and the lease's renewal, one script call a second, while a bucket is written).
    const perBucket = Math.ceil(60_000 / RINGS_PER_CALL) + 2;
    for (const count of calls) expect(count - perBucket).toBeGreaterThanOrEqual(0);
    for (const count of calls) expect(count - perBucket).toBeLessThanOrEqual(5);
    expect(await inspect.slowlog('LEN')).toBe(0);
    expect(await inspect.exists(`nexus:tel:s:1s:10000:temperature`)).toBe(1);

    const range = { step: '1s' as const, fromMs: buckets[0]!.t, toMs: buckets[2]!.t, topAgents: 8 };
    const answer = await process.archive.read({ metric: 'cpu_usage', ...range });
    expect(answer.fleet).toHaveLength(3);
    // The top 8 of cpu (i % 100 highest: agents 99, 199, …) with their three buckets each.
    expect(answer.agents.size).toBe(8);
    for (const [id, series] of answer.agents) {
      expect(Number(id.slice('fleet-agent-'.length)) % 100).toBe(99);
      expect(series.map((b) => b.avg)).toEqual([99, 99, 99]);
    }
  });
});
