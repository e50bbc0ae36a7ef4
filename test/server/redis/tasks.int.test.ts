/**
 * with Redis, task state is kept in Redis — a process that starts after the task's
 * messages have left the (small) history, or after every process restarted, still serves it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../../helpers/redis.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { startSubscriberDelayProxy } from '../../helpers/subscriber-delay-proxy.js';
import { tokenFor } from '../../helpers/tokens.js';
import { TestClient } from '../../helpers/ws-client.js';

async function tasksOf(
  server: TestServer,
  token: string,
): Promise<{ task_id: string; status: string; progress: number; agent_id: string | null; params?: unknown }[]> {
  const res = await fetch(`${server.url}/api/tasks`, { headers: { authorization: `Bearer ${token}` } });
  return res.json() as never;
}

async function poll<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    value = await read();
  }
  return value;
}

describe('task state kept in Redis', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis?.stop());

  it('reads its own writes: once a command is acked, its process knows the task (cancel and agent updates right after the ack)', async () => {
    // Every message this process publishes comes back through its subscription 40 ms after the
    // reply to the publish itself.
    const proxy = await startSubscriberDelayProxy(redis.port, 40);
    const a = await startServer({ env: { NEXUS_REDIS_URL: proxy.url } });
    try {
      const operator = await TestClient.connect(a.wsUrl, await tokenFor('ryw-op', 'operator'));
      const agent = await TestClient.connect(a.wsUrl, await tokenFor('agent_ryw', 'agent'));
      const refused: unknown[] = [];
      for (let i = 0; i < 20; i++) {
        const cancelled = `task_ryw_cancel_${i}`;
        const run = `task_ryw_run_${i}`;
        const acks = await Promise.all([
          operator.publish('commands', { command: 'execute_task', task_id: cancelled }),
          operator.publish('commands', { command: 'execute_task', task_id: run, agent_id: 'agent_ryw' }),
        ]);
        expect(acks).toMatchObject([{ type: 'ack' }, { type: 'ack' }]);
        // No waiting: the very next frames, as a script driving both roles would send them.
        const [cancel, update] = await Promise.all([
          operator.publish('commands', { command: 'cancel_task', task_id: cancelled }),
          agent.publish('tasks', { task_id: run, status: 'running', progress: 10 }),
        ]);
        if (cancel.type !== 'ack') refused.push(cancel);
        if (update.type !== 'ack') refused.push(update);
      }
      expect(refused).toEqual([]);
      await operator.close();
      await agent.close();
    } finally {
      await a.close();
      await proxy.close();
    }
  });

  it('a process started after every earlier one stopped, with the history long gone, serves the final state', async () => {
    const env = { NEXUS_REDIS_URL: redis.url, NEXUS_HISTORY_SIZE: '3' };
    const a = await startServer({ env });
    const operatorToken = await tokenFor('op', 'operator');
    const operator = await TestClient.connect(a.wsUrl, operatorToken);
    const agent = await TestClient.connect(a.wsUrl, await tokenFor('agent_007', 'agent'));
    await operator.publish('commands', {
      command: 'execute_task',
      task_id: 'task_kept',
      agent_id: 'agent_007',
      params: { script: 'x' },
    });
    for (const progress of [0, 50])
      await agent.publish('tasks', { task_id: 'task_kept', status: 'running', progress, agent_id: 'agent_007' });
    await agent.publish('tasks', { task_id: 'task_kept', status: 'succeeded', progress: 100, agent_id: 'agent_007' });
    // Push the task's messages out of the 3-message histories.
    for (let i = 0; i < 5; i++)
      await operator.publish('commands', {
        command: 'execute_task',
        task_id: `task_noise_${i}`,
        agent_id: 'agent_007',
      });
    for (let i = 0; i < 5; i++)
      await agent.publish('tasks', {
        task_id: `task_noise_${i}`,
        status: 'running',
        progress: 10,
        agent_id: 'agent_007',
      });
    await poll(
      () => tasksOf(a, operatorToken),
      (tasks) => tasks.some((t) => t.task_id === 'task_noise_4' && t.status === 'running'),
    );
    await operator.close();
    await agent.close();
    await a.close();

    const b = await startServer({ env });
    try {
      const tasks = await poll(
        () => tasksOf(b, operatorToken),
        (list) => list.some((t) => t.task_id === 'task_kept'),
      );
      expect(tasks.find((t) => t.task_id === 'task_kept')).toMatchObject({
        status: 'succeeded',
        progress: 100,
        agent_id: 'agent_007',
        params: { script: 'x' },
      });
      expect(tasks.filter((t) => t.task_id.startsWith('task_noise_')).every((t) => t.status === 'running')).toBe(true);
      // Newest first: of this test's tasks (the Redis is shared with the other tests), the oldest is last.
      const own = tasks.map((t) => t.task_id).filter((id) => id === 'task_kept' || id.startsWith('task_noise_'));
      expect(own.indexOf('task_kept')).toBe(own.length - 1);
      expect(own).toHaveLength(6);
    } finally {
      await b.close();
    }
  });
});
