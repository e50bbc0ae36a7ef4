/**
 * What the rollup-archive tests share: closed buckets as the rollup engine hands them, and
 * "processes" that each hold their own Redis connection and archive (state/redis-rollups.ts).
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { expect } from 'vitest';
import { pollUntil } from '../../helpers/raw.js';
import { RedisRollupArchive } from '../../../src/server/state/redis-rollups.js';
import { claimKey } from '../../../src/server/state/redis-keys.js';
import type { ClosedBuckets, RollupQuery, RollupStep } from '../../../src/server/state/index.js';

const STEP_MS: Record<RollupStep, number> = { '1s': 1000, '10s': 10_000, '1m': 60_000 };

/** A closed bucket in which each agent sent one value per metric. */
export function closedBucket(
  step: RollupStep,
  t: number,
  values: Record<string, Record<string, number>>,
): ClosedBuckets {
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
export interface Process {
  readonly id: string;
  readonly connection: Redis;
  readonly archive: RedisRollupArchive;
  readonly outages: (string | undefined)[];
}

export async function openProcess(
  url: string,
  budgetBytes?: number,
  lease = { leaseMs: 900, renewMs: 150 },
): Promise<Process> {
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
    ...lease,
  });
  return { id, connection, archive, outages };
}

export async function closeProcess(process: Process): Promise<void> {
  await process.archive.close();
  process.connection.disconnect();
}

/** The process holding the writer's lease, once one does. */
export async function writerOf(processes: readonly Process[]): Promise<Process> {
  expect(await pollUntil(() => processes.some((p) => p.archive.writing), 5000)).toBe(true);
  return processes.find((p) => p.archive.writing)!;
}

/** Hands `closed` to every process, as each one's rollup engine does, and waits for the writes. */
export const closeEverywhere = (processes: readonly Process[], closed: ClosedBuckets) =>
  Promise.all(processes.map((p) => p.archive.write(closed)));

export const query = (metric: string, fromMs: number, toMs: number, agentIds?: string[]): RollupQuery => ({
  metric,
  step: '1s',
  fromMs,
  toMs,
  topAgents: 8,
  ...(agentIds ? { agentIds } : {}),
});

/** A plain object of an answer, for comparing answers of different processes. */
export const plain = async (process: Process, q: RollupQuery) => {
  const answer = await process.archive.read(q);
  return { fleet: answer.fleet, agents: Object.fromEntries(answer.agents) };
};

/** The start of the current second, minus `seconds`. */
export const secondsAgo = (seconds: number) => Math.floor(Date.now() / 1000) * 1000 - seconds * 1000;
