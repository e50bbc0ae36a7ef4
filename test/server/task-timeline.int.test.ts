/**
 * Task timelines, one process: GET /api/tasks/:task_id (404 unknown) serves created_by,
 * created_at, delivered_at (when the command first reached a connection of the task's agent;
 * null while it has none, set when an agent that was away recovers the command) and history —
 * every step oldest first with who caused it: the operator who created or cancelled it, the agent
 * that reported, `nexus` for a timeout. Progress reports are coalesced, so the timeline stays
 * short however often an agent reports. Nobody but the server may publish delivery notes.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clientPool, ISO_8601, restJson } from '../helpers/assertions.js';
import { pollUntil } from '../helpers/raw.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { tokenFor } from '../helpers/tokens.js';
import { TestClient } from '../helpers/ws-client.js';

interface Step {
  status: string;
  progress?: number;
  at: string;
  by: string;
  error?: string;
}
interface TaskDetail {
  task_id: string;
  status: string;
  created_by: string;
  created_at: string;
  delivered_at: string | null;
  history: Step[];
}

let server: TestServer;
let operatorToken: string;
const pool = clientPool();
beforeAll(async () => {
  server = await startServer({ env: { NEXUS_TASK_CLAIM_TIMEOUT_S: '1' } });
  operatorToken = await tokenFor('op-timeline', 'operator');
});
afterEach(() => pool.closeAll());
afterAll(() => server.close());

async function detail(taskId: string): Promise<{ status: number; body: TaskDetail }> {
  const res = await restJson(server.url, `/api/tasks/${encodeURIComponent(taskId)}`, { token: operatorToken });
  return res as { status: number; body: TaskDetail };
}

async function waitForDetail(taskId: string, done: (task: TaskDetail) => boolean): Promise<TaskDetail> {
  let last: TaskDetail | undefined;
  const ok = await pollUntil(
    async () => {
      const res = await detail(taskId);
      last = res.status === 200 ? res.body : undefined;
      return last !== undefined && done(last);
    },
    15_000,
    50,
  );
  expect(ok, JSON.stringify(last)).toBe(true);
  return last!;
}

async function connect(userId: string, role: string): Promise<TestClient> {
  return pool.track(await TestClient.connect(server.wsUrl, await tokenFor(userId, role)));
}

describe('GET /api/tasks/:task_id', () => {
  it('answers 404 for an unknown task, 401 without a token', async () => {
    expect((await detail('no-such-task')).status).toBe(404);
    expect((await restJson(server.url, '/api/tasks/whatever')).status).toBe(401);
  });

  it('a task run to the end: created_by, delivered_at, and every step with who caused it; the list carries created_by without the history', async () => {
    const agent = await connect('agent_tl1', 'agent');
    expect(await agent.subscribe('commands')).toMatchObject({ type: 'subscribed' });
    const operator = await connect('op-timeline', 'operator');
    const before = Date.now();
    expect(
      await operator.publish('commands', { command: 'execute_task', task_id: 'tl_run', agent_id: 'agent_tl1' }),
    ).toMatchObject({ type: 'ack' });
    const delivered = await waitForDetail('tl_run', (t) => t.delivered_at !== null);
    expect(delivered).toMatchObject({ created_by: 'op-timeline', status: 'queued' });
    expect(delivered.delivered_at).toMatch(ISO_8601);
    expect(Date.parse(delivered.delivered_at!)).toBeGreaterThanOrEqual(Date.parse(delivered.created_at));
    expect(Date.parse(delivered.created_at)).toBeGreaterThanOrEqual(before - 1000);

    for (const progress of [0, 10, 20, 30, 40, 50, 60, 70, 80, 90]) {
      expect(await agent.publish('tasks', { task_id: 'tl_run', status: 'running', progress })).toMatchObject({
        type: 'ack',
      });
    }
    expect(await agent.publish('tasks', { task_id: 'tl_run', status: 'succeeded', progress: 100 })).toMatchObject({
      type: 'ack',
    });
    const done = await waitForDetail('tl_run', (t) => t.status === 'succeeded');
    // Ten progress reports leave the start and the latest report.
    expect(done.history.map(({ status, progress, by }) => ({ status, progress, by }))).toEqual([
      { status: 'queued', progress: 0, by: 'op-timeline' },
      { status: 'running', progress: 0, by: 'agent_tl1' },
      { status: 'running', progress: 90, by: 'agent_tl1' },
      { status: 'succeeded', progress: 100, by: 'agent_tl1' },
    ]);
    const times = done.history.map((step) => Date.parse(step.at));
    expect(times.every((t, i) => Number.isFinite(t) && (i === 0 || t >= times[i - 1]!))).toBe(true);
    expect(done.delivered_at).toBe(delivered.delivered_at);

    const list = await restJson(server.url, '/api/tasks?limit=1000', { token: operatorToken });
    const listed = (list.body as Record<string, unknown>[]).find((t) => t.task_id === 'tl_run');
    expect(listed).toMatchObject({ created_by: 'op-timeline', created_at: done.created_at });
    expect(listed).not.toHaveProperty('history');
  });

  it('a queued task cancelled by an operator, a running task cancelled at an operator’s request', async () => {
    const operator = await connect('op-timeline', 'operator');
    const other = await connect('op-canceller', 'operator');
    await operator.publish('commands', { command: 'execute_task', task_id: 'tl_cancel_q', agent_id: 'agent_away' });
    expect(await other.publish('commands', { command: 'cancel_task', task_id: 'tl_cancel_q' })).toMatchObject({
      type: 'ack',
    });
    const cancelled = await waitForDetail('tl_cancel_q', (t) => t.status === 'cancelled');
    expect(cancelled.history.map(({ status, by }) => [status, by])).toEqual([
      ['queued', 'op-timeline'],
      ['cancelled', 'op-canceller'],
    ]);
    // Its agent never connected.
    expect(cancelled.delivered_at).toBeNull();

    const agent = await connect('agent_tl2', 'agent');
    await agent.subscribe('commands');
    await operator.publish('commands', { command: 'execute_task', task_id: 'tl_cancel_r', agent_id: 'agent_tl2' });
    await waitForDetail('tl_cancel_r', (t) => t.delivered_at !== null);
    await agent.publish('tasks', { task_id: 'tl_cancel_r', status: 'running', progress: 30 });
    await other.publish('commands', { command: 'cancel_task', task_id: 'tl_cancel_r' });
    await agent.publish('tasks', { task_id: 'tl_cancel_r', status: 'cancelled', progress: 30 });
    const stopped = await waitForDetail('tl_cancel_r', (t) => t.status === 'cancelled');
    expect(stopped.history.map(({ status, by }) => [status, by])).toEqual([
      ['queued', 'op-timeline'],
      ['running', 'agent_tl2'],
      ['cancelled', 'op-canceller'],
    ]);
  });

  it('a task nobody takes fails by timeout, attributed to nexus', async () => {
    const operator = await connect('op-timeline', 'operator');
    await operator.publish('commands', { command: 'execute_task', task_id: 'tl_timeout', agent_id: 'agent_never' });
    const failed = await waitForDetail('tl_timeout', (t) => t.status === 'failed');
    expect(failed.history.at(-1)).toMatchObject({ status: 'failed', by: 'nexus', error: 'no agent took the task' });
    expect(failed.delivered_at).toBeNull();
  });

  it('a command sent while its agent is away is delivered when the agent comes back and recovers it', async () => {
    const operator = await connect('op-timeline', 'operator');
    const agentToken = await tokenFor('agent_tl3', 'agent');
    const first = await TestClient.connect(server.wsUrl, agentToken);
    const subscribed = await first.subscribe('commands');
    await first.close();
    await operator.publish('commands', { command: 'execute_task', task_id: 'tl_later', agent_id: 'agent_tl3' });
    expect((await detail('tl_later')).body.delivered_at).toBeNull();
    // Back, resuming from where it was (the client library does this on reconnect).
    const back = pool.track(await TestClient.connect(server.wsUrl, agentToken));
    await back.subscribe('commands', { since: subscribed.seq, epoch: subscribed.epoch });
    const delivered = await waitForDetail('tl_later', (t) => t.delivered_at !== null);
    expect(Date.parse(delivered.delivered_at!)).toBeGreaterThanOrEqual(Date.parse(delivered.created_at));
  });

  it('only the server notes deliveries: a client publish on tasks.delivered is forbidden', async () => {
    const operator = await connect('op-timeline', 'operator');
    await operator.publish('commands', { command: 'execute_task', task_id: 'tl_forged', agent_id: 'agent_x' });
    const forged = { task_id: 'tl_forged', agent_id: 'agent_x', delivered_at: new Date().toISOString() };
    expect(await operator.publish('tasks.delivered', forged)).toMatchObject({ type: 'error', code: 'forbidden' });
    const rest = await restJson(server.url, '/api/publish', {
      method: 'POST',
      token: operatorToken,
      body: { channel: 'tasks.delivered', payload: forged },
    });
    expect(rest.status).toBe(403);
    expect((await detail('tl_forged')).body.delivered_at).toBeNull();
  });
});
