/**
 * Task claim timeouts with two Nexus processes on one real redis-server
 * (NEXUS_TASK_CLAIM_TIMEOUT_S=1): each timeout is declared by exactly one process, and an agent
 * counts as present while any process holds its connection (presence shared through Redis), so a
 * process that never saw the agent does not declare it lost.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Task } from '@nexus-realtime/client/protocol';
import { clientPool, restJson, waitForFrame } from '../../helpers/assertions.js';
import { startRedis, type TestRedis } from '../../helpers/redis.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { signToken, tokenFor } from '../../helpers/tokens.js';
import { sleep, TestClient, type Frame } from '../../helpers/ws-client.js';

type Data = Record<string, unknown>;
const dataOf = (f: Frame): Data =>
  typeof f.data === 'object' && f.data !== null && !Array.isArray(f.data) ? (f.data as Data) : {};

/** Deliveries on `tasks` about `taskId` (with `status`, when given). */
const isTaskFrame = (taskId: string, status?: string) => (f: Frame) =>
  (f.type === 'broadcast' || f.type === 'message') &&
  f.channel === 'tasks' &&
  dataOf(f).task_id === taskId &&
  (status === undefined || dataOf(f).status === status);

let counter = 0;
const freshId = (prefix: string) => `${prefix}-${process.pid}-${++counter}-${Math.random().toString(36).slice(2, 6)}`;

/** How long after a declared failure a duplicate from the other process would surely have shown. */
const DUPLICATE_WINDOW_MS = 3000;

describe('task timeouts across two processes on one Redis (NEXUS_TASK_CLAIM_TIMEOUT_S=1)', () => {
  let redis: TestRedis;
  let a: TestServer;
  let b: TestServer;
  let watchA: TestClient;
  let watchB: TestClient;
  const pool = clientPool();

  beforeAll(async () => {
    redis = await startRedis();
    const env = { NEXUS_REDIS_URL: redis.url, NEXUS_TASK_CLAIM_TIMEOUT_S: '1' };
    [a, b] = await Promise.all([startServer({ env }), startServer({ env })]);
    watchA = await TestClient.connect(a.wsUrl, await tokenFor('watch-a'));
    watchB = await TestClient.connect(b.wsUrl, await tokenFor('watch-b'));
    await Promise.all([watchA.subscribe('tasks'), watchB.subscribe('tasks')]);
  });
  afterEach(() => pool.closeAll());
  afterAll(async () => {
    await Promise.all([watchA, watchB].map((c) => c?.close()));
    await Promise.all([a, b].map((s) => s?.close()));
    await redis?.stop();
  });

  const connect = async (server: TestServer, token: string) => pool.connect(server.wsUrl, token);
  const agentToken = (agentId: string) =>
    signToken({
      userId: `device-${agentId}`,
      role: 'agent',
      expiresInSeconds: 3600,
      extraClaims: { agent_id: agentId },
    });

  async function taskOn(server: TestServer, taskId: string): Promise<Task | undefined> {
    const res = await restJson(server.url, '/api/tasks?limit=1000', { token: await tokenFor('reader') });
    expect(res.status).toBe(200);
    return (res.body as Task[]).find((t) => t.task_id === taskId);
  }

  /** Polls both processes until `taskId` matches `done` on each (or the deadline passes). */
  async function untilBoth(taskId: string, done: (task: Task | undefined) => boolean, timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    let seen = await Promise.all([taskOn(a, taskId), taskOn(b, taskId)]);
    while (!seen.every(done) && Date.now() < deadline) {
      await sleep(50);
      seen = await Promise.all([taskOn(a, taskId), taskOn(b, taskId)]);
    }
    return seen;
  }

  const countOn = (watcher: TestClient, taskId: string, status: string) =>
    watcher.frames.filter(isTaskFrame(taskId, status)).length;

  it('unclaimed tasks fail "no agent took the task" exactly once each, whichever process accepted them', async () => {
    const opsA = await connect(a, await tokenFor('ops-a', 'operator'));
    const opsB = await connect(b, await tokenFor('ops-b', 'operator'));
    // Several tasks, so that without a single decider the two processes' sweeps would surely
    // race on at least one of them.
    const tasks: { id: string; via: TestClient; agent?: string }[] = [];
    for (let i = 0; i < 8; i++)
      tasks.push({
        id: freshId('unclaimed'),
        via: i % 2 === 0 ? opsA : opsB,
        ...(i % 4 < 2 ? { agent: 'ghost' } : {}),
      });
    const started = Date.now();
    for (const { id, via, agent } of tasks)
      expect(
        await via.publish('commands', {
          command: 'execute_task',
          task_id: id,
          ...(agent ? { agent_id: agent } : {}),
        }),
      ).toMatchObject({ type: 'ack' });

    for (const { id } of tasks)
      for (const watcher of [watchA, watchB])
        await waitForFrame(watcher, isTaskFrame(id, 'failed'), { timeoutMs: 6000 });
    expect(Date.now() - started).toBeLessThan(4000);
    // Long enough for a second declaration (several sweeps of both processes) to arrive.
    await sleep(DUPLICATE_WINDOW_MS);

    for (const { id, agent } of tasks) {
      for (const [name, watcher] of [
        ['A', watchA],
        ['B', watchB],
      ] as const) {
        expect(countOn(watcher, id, 'queued'), `${id} queued on ${name}`).toBe(1);
        expect(countOn(watcher, id, 'failed'), `${id} failed on ${name}`).toBe(1);
        expect(watcher.frames.filter(isTaskFrame(id)), `${id} on ${name}`).toHaveLength(2);
        expect(watcher.frames.find(isTaskFrame(id, 'failed'))).toMatchObject({
          type: 'broadcast',
          data: { task_id: id, status: 'failed', error: 'no agent took the task', agent_id: agent ?? null },
        });
      }
      for (const server of [a, b])
        expect(await taskOn(server, id)).toMatchObject({
          status: 'failed',
          error: 'no agent took the task',
        });
    }
    // The server's own announcements name it.
    for (const { id } of tasks)
      expect(watchA.frames.find(isTaskFrame(id, 'failed'))).toMatchObject({ type: 'broadcast', from: 'nexus' });
  }, 30_000);

  it('both processes sweeping at the same instant still declare each timeout once (queued and agent lost)', async () => {
    // The sweeps' own timers rarely fire within the same few milliseconds on both processes;
    // here both registries sweep back to back, over and over, while the tasks come due, so each
    // process decides before the other's failure can reach it: only Redis can pick one.
    const opsA = await connect(a, await tokenFor('ops-a4', 'operator'));
    const agent = await connect(b, await agentToken('agent_brief'));
    const queued = [freshId('race-queued'), freshId('race-queued'), freshId('race-queued')];
    const lost = freshId('race-lost');
    for (const id of queued)
      expect(
        await opsA.publish('commands', { command: 'execute_task', task_id: id, agent_id: 'nobody' }),
      ).toMatchObject({ type: 'ack' });
    expect(
      await opsA.publish('commands', { command: 'execute_task', task_id: lost, agent_id: 'agent_brief' }),
    ).toMatchObject({ type: 'ack' });
    // Created on A: a real agent reports once the command reached it through its own process (B).
    await untilBoth(lost, (t) => t !== undefined);
    expect(await agent.publish('tasks', { task_id: lost, status: 'running', progress: 1 })).toMatchObject({
      type: 'ack',
    });
    await untilBoth(lost, (t) => t?.status === 'running');
    await agent.close();
    const all = [...queued, lost];
    const done = () => all.every((id) => [watchA, watchB].every((watcher) => countOn(watcher, id, 'failed') > 0));
    const deadline = Date.now() + 8000;
    while (!done() && Date.now() < deadline) {
      a.tasks.sweep();
      b.tasks.sweep();
      await sleep(2);
    }
    expect(done()).toBe(true);
    // Keep sweeping both for a while: nothing more may be declared.
    const quietUntil = Date.now() + 1500;
    while (Date.now() < quietUntil) {
      a.tasks.sweep();
      b.tasks.sweep();
      await sleep(5);
    }
    await sleep(DUPLICATE_WINDOW_MS / 2);
    for (const id of all)
      for (const [name, watcher] of [
        ['A', watchA],
        ['B', watchB],
      ] as const)
        expect(countOn(watcher, id, 'failed'), `${id} failed on ${name}`).toBe(1);
    expect(watchA.frames.find(isTaskFrame(lost, 'failed'))).toMatchObject({ data: { error: 'agent lost' } });
    for (const id of queued)
      expect(watchA.frames.find(isTaskFrame(id, 'failed'))).toMatchObject({
        data: { error: 'no agent took the task' },
      });
  }, 30_000);

  it('an agent connected to process A keeps its task running though B never saw it; once it is gone, the task fails "agent lost" exactly once', async () => {
    const opsB = await connect(b, await tokenFor('ops-b2', 'operator'));
    const agent = await connect(a, await agentToken('agent_far'));
    const taskId = freshId('far-task');
    // Created on B, run from A.
    expect(
      await opsB.publish('commands', { command: 'execute_task', task_id: taskId, agent_id: 'agent_far' }),
    ).toMatchObject({ type: 'ack' });
    // Created on B: a real agent reports once the command reached it through its own process (A).
    await untilBoth(taskId, (t) => t !== undefined);
    expect(await agent.publish('tasks', { task_id: taskId, status: 'running', progress: 25 })).toMatchObject({
      type: 'ack',
    });
    const runningAt = Date.now();
    // Both processes hold it as running (B through Redis)...
    const running = await untilBoth(taskId, (t) => t?.status === 'running');
    expect(running).toMatchObject([
      { status: 'running', agent_id: 'agent_far' },
      { status: 'running', agent_id: 'agent_far' },
    ]);
    // ... and still do after three timeouts: B, with no connection of the agent, does not
    // declare it lost.
    await sleep(Math.max(0, runningAt + 3500 - Date.now()));
    for (const server of [a, b])
      expect(await taskOn(server, taskId)).toMatchObject({ status: 'running', progress: 25 });
    expect(countOn(watchA, taskId, 'failed')).toBe(0);
    expect(countOn(watchB, taskId, 'failed')).toBe(0);

    await agent.close();
    const closedAt = Date.now();
    for (const watcher of [watchA, watchB])
      await waitForFrame(watcher, isTaskFrame(taskId, 'failed'), { timeoutMs: 8000 });
    expect(Date.now() - closedAt).toBeLessThan(6000);
    await sleep(DUPLICATE_WINDOW_MS);
    expect(countOn(watchA, taskId, 'failed')).toBe(1);
    expect(countOn(watchB, taskId, 'failed')).toBe(1);
    expect(watchB.frames.find(isTaskFrame(taskId, 'failed'))).toMatchObject({
      type: 'broadcast',
      data: { task_id: taskId, status: 'failed', error: 'agent lost', agent_id: 'agent_far', progress: 25 },
    });
    for (const server of [a, b])
      expect(await taskOn(server, taskId)).toMatchObject({ status: 'failed', error: 'agent lost' });
    expect(watchB.frames.find(isTaskFrame(taskId, 'failed'))).toMatchObject({ from: 'nexus' });
  }, 30_000);

  it('an agent that moves from process A to process B keeps its running task alive', async () => {
    const opsA = await connect(a, await tokenFor('ops-a3', 'operator'));
    const token = await agentToken('agent_moving');
    const onA = await connect(a, token);
    const taskId = freshId('moving-task');
    expect(
      await opsA.publish('commands', { command: 'execute_task', task_id: taskId, agent_id: 'agent_moving' }),
    ).toMatchObject({ type: 'ack' });
    expect(await onA.publish('tasks', { task_id: taskId, status: 'running', progress: 5 })).toMatchObject({
      type: 'ack',
    });
    await untilBoth(taskId, (t) => t?.status === 'running');
    await onA.close();
    const onB = await connect(b, token);
    const movedAt = Date.now();
    await sleep(3500);
    expect(countOn(watchA, taskId, 'failed')).toBe(0);
    expect(countOn(watchB, taskId, 'failed')).toBe(0);
    for (const server of [a, b]) expect(await taskOn(server, taskId)).toMatchObject({ status: 'running' });
    expect(Date.now() - movedAt).toBeGreaterThanOrEqual(3000);
    // It reports from B, and both processes follow.
    expect(await onB.publish('tasks', { task_id: taskId, status: 'succeeded', progress: 100 })).toMatchObject({
      type: 'ack',
    });
    expect(await untilBoth(taskId, (t) => t?.status === 'succeeded')).toMatchObject([
      { status: 'succeeded' },
      { status: 'succeeded' },
    ]);
  }, 30_000);
});
