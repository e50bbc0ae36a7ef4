/**
 * Task timelines and the audit log across two processes on one real Redis, and across restarts:
 * - a command sent through A to an agent held by B: B notes the delivery, A serves the same
 *   timeline (created_by, delivered_at, every step and who caused it) as B;
 * - the audit log is the deployment's: either process answers every entry, and one user's
 *   refusals on both processes within a minute fold into one entry whose count is their sum;
 * - after every process stopped, a new one on the same Redis (its message history long gone)
 *   still serves the task's timeline and the audit log;
 * - a process SIGKILLed while it held the agent: what it recorded and noted was already written
 *   (entries are written every second), the other process fails the task "agent lost" as `nexus`,
 *   and a process started afterwards serves all of it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restJson } from '../../helpers/assertions.js';
import { ensureBuilt, spawnNode, stopAll, waitForListening } from '../../helpers/node-process.js';
import { pollUntil } from '../../helpers/raw.js';
import { startRedis, type TestRedis } from '../../helpers/redis.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { TEST_SECRET, tokenFor } from '../../helpers/tokens.js';
import { TestClient } from '../../helpers/ws-client.js';

interface Entry {
  userId: string;
  action: string;
  result: string;
  channel?: string;
  target?: string;
  count?: number;
}
interface TaskDetail {
  status: string;
  created_by: string;
  delivered_at: string | null;
  history: { status: string; by: string; progress?: number }[];
}

let redis: TestRedis;
let adminToken: string;
beforeAll(async () => {
  redis = await startRedis();
  adminToken = await tokenFor('redis-audit-admin', 'admin');
});
afterAll(() => redis?.stop());

const env = () => ({ NEXUS_REDIS_URL: redis.url, NEXUS_HISTORY_SIZE: '3' });

async function get<T>(server: TestServer, path: string): Promise<{ status: number; body: T }> {
  return (await restJson(server.url, path, { token: adminToken })) as { status: number; body: T };
}

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  let last: T | undefined;
  const ok = await pollUntil(async () => done((last = await read())), 15_000, 50);
  expect(ok, `${what}: ${JSON.stringify(last)}`).toBe(true);
  return last!;
}

const taskOf = async (server: TestServer, taskId: string) =>
  (await get<TaskDetail>(server, `/api/tasks/${taskId}`)).body;

describe('timelines and audit log with Redis', () => {
  it('two processes share timelines and one audit log, and a restarted deployment keeps both', async () => {
    const a = await startServer({ env: env() });
    const b = await startServer({ env: env() });
    let c: TestServer | undefined;
    try {
      const agent = await TestClient.connect(b.wsUrl, await tokenFor('agent_r1', 'agent'));
      expect(await agent.subscribe('commands')).toMatchObject({ type: 'subscribed' });
      const operator = await TestClient.connect(a.wsUrl, await tokenFor('redis-op', 'operator'));
      expect(
        await operator.publish('commands', { command: 'execute_task', task_id: 'r_task', agent_id: 'agent_r1' }),
      ).toMatchObject({ type: 'ack' });
      // B holds the agent and notes the delivery; A learns it.
      const delivered = await waitFor(
        () => taskOf(a, 'r_task'),
        (t) => t?.delivered_at != null,
        'delivered_at on A',
      );
      expect(delivered.created_by).toBe('redis-op');
      expect(await agent.publish('tasks', { task_id: 'r_task', status: 'running', progress: 50 })).toMatchObject({
        type: 'ack',
      });
      expect(
        await agent.publish('tasks', { task_id: 'r_task', status: 'failed', progress: 50, error: 'disk full' }),
      ).toMatchObject({ type: 'ack' });
      const expectedSteps = [
        { status: 'queued', by: 'redis-op' },
        { status: 'running', by: 'agent_r1' },
        { status: 'failed', by: 'agent_r1' },
      ];
      for (const server of [a, b]) {
        const done = await waitFor(
          () => taskOf(server, 'r_task'),
          (t) => t?.status === 'failed',
          'failed',
        );
        expect(done.history.map(({ status, by }) => ({ status, by }))).toEqual(expectedSteps);
        expect(done.delivered_at).toBe(delivered.delivered_at);
      }

      // One user refused on both processes: one entry a minute, the counts added up.
      const viewerToken = await tokenFor('redis-flooder', 'viewer');
      const viewers = [await TestClient.connect(a.wsUrl, viewerToken), await TestClient.connect(b.wsUrl, viewerToken)];
      const firstMinute = Math.floor(Date.now() / 60_000);
      for (const viewer of viewers)
        for (let i = 0; i < 40; i++) viewer.send({ action: 'publish', channel: 'events', payload: i });
      for (const viewer of viewers)
        expect(await pollUntil(() => viewer.ofType('error').length >= 40, 10_000)).toBe(true);
      const minutes = Math.floor(Date.now() / 60_000) - firstMinute + 1;
      for (const server of [a, b]) {
        const folded = await waitFor(
          async () => (await get<Entry[]>(server, '/api/audit?userId=redis-flooder')).body,
          (entries) => entries.reduce((sum, e) => sum + (e.count ?? 0), 0) === 80,
          'folded refusals',
        );
        expect(folded.length).toBeLessThanOrEqual(minutes);
        expect(folded[0]).toMatchObject({ action: 'publish', channel: 'events', result: 'forbidden' });
      }
      // The command recorded on A is read on B.
      expect((await get<Entry[]>(b, '/api/audit?userId=redis-op')).body).toMatchObject([
        { action: 'execute_task', target: 'r_task', result: 'ok' },
      ]);
      for (const client of [agent, operator, ...viewers]) await client.close();

      // Every process stops; a new one starts with the message history long gone.
      await a.close();
      await b.close();
      c = await startServer({ env: env() });
      const kept = await waitFor(
        () => taskOf(c!, 'r_task'),
        (t) => t?.status === 'failed',
        'task after restart',
      );
      expect(kept.history.map(({ status, by }) => ({ status, by }))).toEqual(expectedSteps);
      expect(kept.delivered_at).toBe(delivered.delivered_at);
      expect(kept.created_by).toBe('redis-op');
      const audit = (await get<Entry[]>(c, '/api/audit?limit=1000')).body;
      expect(audit.filter((e) => e.userId === 'redis-op')).toMatchObject([
        { action: 'execute_task', target: 'r_task' },
      ]);
      expect(audit.filter((e) => e.userId === 'redis-flooder').reduce((sum, e) => sum + (e.count ?? 0), 0)).toBe(80);
    } finally {
      await Promise.allSettled([a.close(), b.close(), c?.close()]);
    }
  });

  it('keeps at most NEXUS_AUDIT_MAX entries in Redis, the oldest leaving first', async () => {
    const server = await startServer({ env: { ...env(), NEXUS_AUDIT_MAX: '20' } });
    try {
      const token = await tokenFor('redis-bound', 'operator');
      for (let i = 0; i < 30; i++) {
        const res = await restJson(server.url, '/api/publish', {
          method: 'POST',
          token,
          body: { channel: 'events', payload: { i } },
        });
        expect(res.status).toBe(202);
      }
      const entries = (await get<Entry[]>(server, '/api/audit?limit=1000')).body;
      expect(entries).toHaveLength(20);
      // The newest 20 publishes are what is left.
      expect(entries.every((e) => e.userId === 'redis-bound')).toBe(true);
    } finally {
      await server.close();
    }
  });
});

describe('a SIGKILLed process', () => {
  beforeAll(() => ensureBuilt(['dist/server/main.js'], ['src/server', 'packages/client/src']), 180_000);
  afterAll(() => stopAll('SIGKILL'));

  it('leaves its audit entries and task notes behind; the survivor times the task out as nexus', async () => {
    const child = spawnNode('dist/server/main.js', [], {
      PORT: '0',
      HOST: '127.0.0.1',
      NEXUS_JWT_SECRET: TEST_SECRET,
      LOG_LEVEL: 'info',
      NEXUS_REDIS_URL: redis.url,
      NEXUS_TASK_CLAIM_TIMEOUT_S: '1',
    });
    const port = await waitForListening(child, 15_000);
    const b = await startServer({ env: { ...env(), NEXUS_TASK_CLAIM_TIMEOUT_S: '1' } });
    let late: TestServer | undefined;
    try {
      const agent = await TestClient.connect(`ws://127.0.0.1:${port}/ws`, await tokenFor('agent_k1', 'agent'));
      expect(await agent.subscribe('commands')).toMatchObject({ type: 'subscribed' });
      const operatorToken = await tokenFor('kill-op', 'operator');
      const created = await restJson(b.url, '/api/publish', {
        method: 'POST',
        token: operatorToken,
        body: { channel: 'commands', payload: { command: 'execute_task', task_id: 'k_task', agent_id: 'agent_k1' } },
      });
      expect(created.status).toBe(202);
      await waitFor(
        () => taskOf(b, 'k_task'),
        (t) => t?.delivered_at != null,
        'delivery noted by the doomed process',
      );
      expect(await agent.publish('tasks', { task_id: 'k_task', status: 'running', progress: 20 })).toMatchObject({
        type: 'ack',
      });
      // Recorded on the doomed process, read on the other one once written (within a second).
      const onChild = await restJson(`http://127.0.0.1:${port}`, '/api/publish', {
        method: 'POST',
        token: operatorToken,
        body: { channel: 'events', payload: { from: 'child' } },
      });
      expect(onChild.status).toBe(202);
      await waitFor(
        async () => (await get<Entry[]>(b, '/api/audit?userId=kill-op&action=publish')).body,
        (entries) => entries.length === 1,
        'the child’s entry',
      );
      await waitFor(
        () => taskOf(b, 'k_task'),
        (t) => t?.status === 'running',
        'running on b',
      );

      child.process.kill('SIGKILL');
      await child.exited;
      const failed = await waitFor(
        () => taskOf(b, 'k_task'),
        (t) => t?.status === 'failed',
        'agent lost',
      );
      expect(failed.history.map(({ status, by }) => ({ status, by }))).toEqual([
        { status: 'queued', by: 'kill-op' },
        { status: 'running', by: 'agent_k1' },
        { status: 'failed', by: 'nexus' },
      ]);
      expect(failed.history.at(-1)).toMatchObject({ error: 'agent lost' });

      late = await startServer({ env: env() });
      const kept = await waitFor(
        () => taskOf(late!, 'k_task'),
        (t) => t?.status === 'failed',
        'task on a new process',
      );
      expect(kept.delivered_at).toBe(failed.delivered_at);
      expect(kept.history).toEqual(failed.history);
      expect((await get<Entry[]>(late, '/api/audit?userId=kill-op')).body).toMatchObject([
        { action: 'publish', channel: 'events', result: 'ok' },
        { action: 'execute_task', target: 'k_task', result: 'ok' },
      ]);
      await agent.close();
    } finally {
      child.process.kill('SIGKILL');
      await Promise.allSettled([b.close(), late?.close()]);
    }
  });
});
