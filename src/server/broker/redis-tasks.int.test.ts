/**
 * with Redis, task state is kept in Redis — a process that starts after the task's
 * messages have left the (small) history, or after every process restarted, still serves it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../../../test/helpers/redis.js';
import { startServer, type TestServer } from '../../../test/helpers/server.js';
import { tokenFor } from '../../../test/helpers/tokens.js';
import { TestClient } from '../../../test/helpers/ws-client.js';

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
    // A real agent reports once the command reached it, when its process knows the task (the ack
    // only says the command was stored; this process learns it back from Redis a moment later).
    await poll(
      () => tasksOf(a, operatorToken),
      (tasks) => tasks.some((t) => t.task_id === 'task_kept'),
    );
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
    await poll(
      () => tasksOf(a, operatorToken),
      (tasks) => tasks.some((t) => t.task_id === 'task_noise_4'),
    );
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
      expect(tasks.map((t) => t.task_id).indexOf('task_kept')).toBe(tasks.length - 1); // oldest last
    } finally {
      await b.close();
    }
  });
});
