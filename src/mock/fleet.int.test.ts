/**
 * The simulated fleet through a real server: telemetry, addressed and unaddressed tasks with
 * every update on `tasks`, cancel_task, malformed commands, a server restart, the REST views
 * (`/api/tasks`, `/api/agents`), the fleet inside `node dist/server/main.js`, and the CLI
 * (`node dist/mock/cli.js`).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AgentInfo, Task } from '@nexus-realtime/client/protocol';
import { ISO_8601, clientPool, deliveries, restJson, waitForFrame } from '../../test/helpers/assertions.js';
import { ensureBuilt, spawnNode, stopAll, waitForListening } from '../../test/helpers/node-process.js';
import { pollUntil } from '../../test/helpers/raw.js';
import { startServer, type TestServer } from '../../test/helpers/server.js';
import { signToken, tokenFor } from '../../test/helpers/tokens.js';
import { TestClient, sleep, type Frame } from '../../test/helpers/ws-client.js';
import { DEFAULT_FLEET_SEED, startFleet, type Fleet } from './fleet.js';
import { deriveSeed } from './random.js';
import { TelemetryGenerator } from './telemetry.js';

const METRICS = ['cpu_usage', 'memory_mb', 'disk_io_kbps', 'network_rx_kbps', 'queue_depth', 'temperature_c'];
const AGENT_IDS = ['agent_001', 'agent_002', 'agent_003', 'agent_004', 'agent_005'];
const FINAL = new Set(['succeeded', 'failed', 'cancelled']);
const INTERVAL_MS = 100;

type Data = Record<string, unknown>;
const dataOf = (f: Frame): Data => (typeof f.data === 'object' && f.data !== null ? (f.data as Data) : {});

/** Deliveries on `tasks` for one task id, in arrival order. */
const taskFrames = (client: TestClient, taskId: string) =>
  deliveries(client, 'tasks').filter((f) => dataOf(f).task_id === taskId);
/** Waits for the final update of a task on `tasks`. */
const waitFinal = (client: TestClient, taskId: string, timeoutMs = 5000) =>
  waitForFrame(
    client,
    (f) => f.channel === 'tasks' && dataOf(f).task_id === taskId && FINAL.has(String(dataOf(f).status)),
    { timeoutMs },
  );
/** Agents seen in `telemetry` deliveries from index `from` on. */
const telemetryAgents = (client: TestClient, from = 0) =>
  new Set(
    client.frames
      .slice(from)
      .filter((f) => f.type === 'message' && f.channel === 'telemetry')
      .map((f) => String(dataOf(f).agent_id)),
  );

function startTestFleet(url: string, extra: { count?: number; failureRate?: number } = {}): Fleet {
  return startFleet({
    url,
    count: extra.count ?? 5,
    intervalMs: INTERVAL_MS,
    token: (id) => () => tokenFor(id, 'agent'),
    taskDurationMs: [300, 600],
    failureRate: extra.failureRate ?? 0,
    clientOptions: { initialDelayMs: 50, maxDelayMs: 300 },
  });
}

/** Resolves once `server` has had telemetry from every id, plus a margin so their subscriptions are active too. */
async function waitForAgents(server: TestServer, ids: readonly string[], timeoutMs = 5000): Promise<void> {
  const ok = await pollUntil(() => {
    const seen = new Set(
      server.agents
        .list()
        .filter((a) => a.online)
        .map((a) => a.agent_id),
    );
    return ids.every((id) => seen.has(id));
  }, timeoutMs);
  if (!ok) throw new Error(`agents not seen: ${JSON.stringify(server.agents.list().map((a) => a.agent_id))}`);
  await sleep(200);
}

describe('a fleet of 5 simulated agents through a real server', () => {
  let server: TestServer;
  let fleet: Fleet;
  let operatorToken: string;
  let viewerToken: string;
  const pool = clientPool();
  /** State transitions of each agent's client, to prove nothing dropped a connection. */
  const transitions: Array<{ agent: string; next: string; reason: string }> = [];
  let taskCounter = 0;
  const newTaskId = (prefix: string) => `${prefix}_${process.pid}_${++taskCounter}`;

  beforeAll(async () => {
    server = await startServer({ env: { NEXUS_MOCK_INTERVAL_MS: String(INTERVAL_MS) } });
    fleet = startTestFleet(server.wsUrl);
    for (const agent of fleet.agents)
      agent.client.on('state', ({ next, reason }) => transitions.push({ agent: agent.agentId, next, reason }));
    operatorToken = await tokenFor('op_fleet', 'operator');
    viewerToken = await tokenFor('viewer_fleet', 'viewer');
    await waitForAgents(server, AGENT_IDS);
  });
  afterEach(() => pool.closeAll());
  afterAll(async () => {
    fleet?.stop();
    await pool.closeAll();
    await server?.close();
  });

  async function watcher(channel = 'tasks'): Promise<TestClient> {
    const client = await pool.connect(server.wsUrl, viewerToken);
    expect(await client.subscribe(channel)).toMatchObject({ type: 'subscribed', channel });
    return client;
  }
  const operator = () => pool.connect(server.wsUrl, operatorToken);
  async function command(op: TestClient, payload: unknown): Promise<void> {
    expect(await op.publish('commands', payload)).toMatchObject({ type: 'ack', channel: 'commands' });
  }

  it('every agent publishes telemetry on `telemetry`, as itself, with all six numeric metrics, about every interval', async () => {
    const client = await watcher('telemetry');
    const startedAt = Date.now();
    await sleep(1000);
    const elapsed = Date.now() - startedAt;
    const frames = deliveries(client, 'telemetry');
    for (const id of AGENT_IDS) {
      const own = frames.filter((f) => dataOf(f).agent_id === id);
      // ~10 samples a second at 100 ms.
      expect(own.length, id).toBeGreaterThanOrEqual(Math.floor(elapsed / INTERVAL_MS / 2));
      expect(own.length, id).toBeLessThanOrEqual(Math.ceil(elapsed / INTERVAL_MS) + 3);
      for (const frame of own) {
        expect(frame.type).toBe('message');
        expect(frame.from).toBe(id); // published with the agent's own token
        for (const metric of METRICS) {
          expect(typeof dataOf(frame)[metric], `${id}.${metric}`).toBe('number');
          expect(Number.isFinite(dataOf(frame)[metric])).toBe(true);
        }
      }
      // Values move from sample to sample.
      expect(new Set(own.map((f) => dataOf(f).cpu_usage)).size, id).toBeGreaterThan(1);
    }
    // Agents have their own seeds: their series differ.
    const cpuOf = (id: string) =>
      frames
        .filter((f) => dataOf(f).agent_id === id)
        .map((f) => dataOf(f).cpu_usage)
        .slice(0, 5);
    expect(cpuOf('agent_001')).not.toEqual(cpuOf('agent_002'));

    // The run is the seeded one: what agent_003 published is a contiguous stretch of the series
    // a TelemetryGenerator with that agent's seed produces (the same seed replays the same run).
    const generator = new TelemetryGenerator(deriveSeed(deriveSeed(DEFAULT_FLEET_SEED, 2), 0));
    const expected = Array.from({ length: 3000 }, () => generator.next());
    const observed = frames
      .filter((f) => dataOf(f).agent_id === 'agent_003')
      .map((f) => Object.fromEntries(Object.entries(dataOf(f)).filter(([key]) => key !== 'agent_id')));
    const offset = expected.findIndex((sample) => JSON.stringify(sample) === JSON.stringify(observed[0]));
    expect(offset).toBeGreaterThanOrEqual(0);
    expect(observed.length).toBeGreaterThan(3);
    expect(observed).toEqual(expected.slice(offset, offset + observed.length));
  });

  it('an execute_task addressed to agent_003 runs there: queued (broadcast), rising running updates, a final state, also at /api/tasks', async () => {
    const tasks = await watcher('tasks');
    const op = await operator();
    const taskId = newTaskId('addressed');
    await command(op, {
      command: 'execute_task',
      task_id: taskId,
      agent_id: 'agent_003',
      params: { script: 'deploy.sh' },
    });
    const final = await waitFinal(tasks, taskId);
    await sleep(300); // anything late would show up now

    const frames = taskFrames(tasks, taskId);
    const [queued, ...rest] = frames;
    expect(queued).toMatchObject({
      type: 'broadcast',
      channel: 'tasks',
      data: { task_id: taskId, status: 'queued', progress: 0, agent_id: 'agent_003', command: 'execute_task' },
    });
    expect(queued?.from).toBe('nexus'); // the server's own message
    const running = rest.filter((f) => dataOf(f).status === 'running');
    expect(running.length).toBeGreaterThanOrEqual(3);
    expect(dataOf(running[0]!).progress).toBe(0);
    for (let i = 1; i < running.length; i++)
      expect(dataOf(running[i]!).progress as number).toBeGreaterThan(dataOf(running[i - 1]!).progress as number);
    expect(rest.at(-1)).toBe(final);
    expect(dataOf(final).status).toBe('succeeded');
    expect(dataOf(final).progress).toBe(100);
    // Every update after queued came from agent_003 itself.
    for (const f of rest) {
      expect(f).toMatchObject({ type: 'message', from: 'agent_003', data: { agent_id: 'agent_003', task_id: taskId } });
      expect(dataOf(f).updated_at).toMatch(ISO_8601);
    }
    expect(rest).toHaveLength(running.length + 1);

    const res = await restJson(server.url, '/api/tasks', { token: operatorToken });
    expect(res.status).toBe(200);
    const task = (res.body as Task[]).find((t) => t.task_id === taskId);
    expect(task).toMatchObject({
      task_id: taskId,
      status: 'succeeded',
      progress: 100,
      agent_id: 'agent_003',
      command: 'execute_task',
      params: { script: 'deploy.sh' },
    });
    expect(task!.created_at).toMatch(ISO_8601);
    expect(Date.parse(task!.updated_at)).toBeGreaterThanOrEqual(Date.parse(task!.created_at));
  });

  it('unaddressed tasks are each run by exactly one agent (the first claim wins)', async () => {
    const tasks = await watcher('tasks');
    const claims = await watcher('tasks.claims');
    const op = await operator();
    const ids = Array.from({ length: 5 }, () => newTaskId('unaddressed'));
    for (const taskId of ids) await command(op, { command: 'execute_task', task_id: taskId });
    const finals = await Promise.all(ids.map((taskId) => waitFinal(tasks, taskId, 6000)));
    await sleep(500); // a second runner would have published by now

    for (const [i, taskId] of ids.entries()) {
      const frames = taskFrames(tasks, taskId);
      expect(dataOf(frames[0]!)).toMatchObject({ status: 'queued', agent_id: null });
      const agentUpdates = frames.filter((f) => f.type === 'message');
      const runners = new Set(agentUpdates.map((f) => dataOf(f).agent_id));
      expect(runners.size, `${taskId} runners ${[...runners].join(',')}`).toBe(1);
      const runner = String([...runners][0]);
      expect(AGENT_IDS).toContain(runner);
      expect(new Set(agentUpdates.map((f) => f.from))).toEqual(new Set([runner]));
      expect(agentUpdates.filter((f) => dataOf(f).status === 'running' && dataOf(f).progress === 0)).toHaveLength(1);
      expect(agentUpdates.filter((f) => FINAL.has(String(dataOf(f).status)))).toHaveLength(1);
      expect(dataOf(finals[i]!)).toMatchObject({ status: 'succeeded', progress: 100, agent_id: runner });
      // The runner is the agent whose claim came first.
      const claimFrames = deliveries(claims, 'tasks.claims').filter((f) => dataOf(f).task_id === taskId);
      expect(claimFrames.length).toBeGreaterThanOrEqual(1);
      const first = claimFrames.reduce((a, b) => ((a.seq as number) < (b.seq as number) ? a : b));
      expect(dataOf(first).agent_id).toBe(runner);
      expect(server.tasks.get(taskId)).toMatchObject({ status: 'succeeded', agent_id: runner });
    }
  });

  it('cancel_task stops a running task: a cancelled update, then nothing more for it', async () => {
    const tasks = await watcher('tasks');
    const op = await operator();
    const taskId = newTaskId('cancel_running');
    await command(op, { command: 'execute_task', task_id: taskId, agent_id: 'agent_002' });
    await waitForFrame(
      tasks,
      (f) => dataOf(f).task_id === taskId && dataOf(f).status === 'running' && (dataOf(f).progress as number) > 0,
    );
    await command(op, { command: 'cancel_task', task_id: taskId });
    const cancelled = await waitForFrame(
      tasks,
      (f) => dataOf(f).task_id === taskId && dataOf(f).status === 'cancelled',
    );
    expect(cancelled).toMatchObject({ type: 'message', from: 'agent_002', data: { agent_id: 'agent_002' } });
    expect(dataOf(cancelled).progress as number).toBeGreaterThan(0);
    expect(dataOf(cancelled).progress as number).toBeLessThan(100);
    await sleep(1500); // longer than the task would have needed to finish
    const frames = taskFrames(tasks, taskId);
    expect(frames.at(-1)).toBe(cancelled);
    expect(frames.filter((f) => dataOf(f).status === 'succeeded' || dataOf(f).status === 'failed')).toEqual([]);
    expect(fleet.agents[1]!.runningTasks).not.toContain(taskId);
    expect(server.tasks.get(taskId)).toMatchObject({ status: 'cancelled', agent_id: 'agent_002' });
  });

  it('cancel_task on a queued task nobody runs (addressed to a missing agent) → the registry cancels it', async () => {
    const tasks = await watcher('tasks');
    const op = await operator();
    const taskId = newTaskId('cancel_queued');
    await command(op, { command: 'execute_task', task_id: taskId, agent_id: 'agent_404' });
    await waitForFrame(tasks, (f) => dataOf(f).task_id === taskId && dataOf(f).status === 'queued');
    await sleep(200);
    expect(server.tasks.get(taskId)).toMatchObject({ status: 'queued', agent_id: 'agent_404' });
    await command(op, { command: 'cancel_task', task_id: taskId });
    const cancelled = await waitForFrame(
      tasks,
      (f) => dataOf(f).task_id === taskId && dataOf(f).status === 'cancelled',
    );
    expect(cancelled.type).toBe('broadcast');
    const res = await restJson(server.url, `/api/tasks?agent_id=agent_404`, { token: operatorToken });
    expect((res.body as Task[]).find((t) => t.task_id === taskId)).toMatchObject({ status: 'cancelled' });
    expect(taskFrames(tasks, taskId).filter((f) => f.type === 'message')).toEqual([]);
  });

  it('an unaddressed task cancelled before any agent claims it is never run', async () => {
    const tasks = await watcher('tasks');
    const op = await operator();
    const taskId = newTaskId('cancel_unclaimed');
    // Back to back: the cancel reaches the agents before their claim jitter has passed.
    op.send({ action: 'publish', channel: 'commands', payload: { command: 'execute_task', task_id: taskId } });
    await command(op, { command: 'cancel_task', task_id: taskId });
    await waitForFrame(tasks, (f) => dataOf(f).task_id === taskId && dataOf(f).status === 'cancelled');
    await sleep(1000);
    expect(taskFrames(tasks, taskId).filter((f) => f.type === 'message')).toEqual([]);
    expect(server.tasks.get(taskId)).toMatchObject({ status: 'cancelled' });
    for (const agent of fleet.agents) expect(agent.runningTasks).not.toContain(taskId);
  });

  it('malformed and unknown commands are refused by the server (invalid_command) and never hurt an agent: telemetry goes on and a later valid task runs', async () => {
    const telemetry = await watcher('telemetry');
    const tasks = await watcher('tasks');
    const op = await operator();
    const transitionsBefore = transitions.length;
    const ticksBefore = fleet.agents.map((a) => a.ticks);
    const bad: unknown[] = [
      'rm -rf /',
      42,
      null,
      true,
      [],
      [{ command: 'execute_task', task_id: 'in_array' }],
      {},
      { command: 'execute_task' },
      { command: 'execute_task', task_id: '' },
      { command: 'execute_task', task_id: 12345 },
      { command: 'execute_task', task_id: 'x'.repeat(129) },
      { command: 'execute_task', task_id: 'bad_agent', agent_id: { id: 'agent_001' } },
      { command: 'execute_task', task_id: 'bad_params', agent_id: 'agent_001', params: 'not an object' },
      { command: 'execute_task', task_id: 'huge_params', agent_id: 'agent_001', params: 'x'.repeat(600_000) },
      { command: 'cancel_task' },
      { command: 'cancel_task', task_id: ['a'] },
      { command: 'self_destruct', task_id: 'boom', agent_id: 'agent_001' },
      { command: '__proto__', task_id: 'proto' },
      { command: 'toString', task_id: 'tostring' },
      { task_id: 'no_command', agent_id: 'agent_001' },
    ];
    for (const payload of bad) {
      expect(await op.publish('commands', payload), JSON.stringify(payload).slice(0, 80)).toMatchObject({
        type: 'error',
        code: 'invalid_command',
      });
    }
    // Agents also listen on `tasks.claims`: garbage there must not hurt them either.
    for (const payload of [
      'claim',
      null,
      7,
      [],
      {},
      { task_id: 5, agent_id: 'agent_001' },
      { task_id: 'c', agent_id: '' },
      { task_id: 'c' },
    ]) {
      expect(await op.publish('tasks.claims', payload)).toMatchObject({ type: 'ack' });
    }
    const marker = telemetry.frames.length;
    await sleep(600);

    // Every agent is still connected and still publishing.
    expect(transitions.slice(transitionsBefore)).toEqual([]);
    for (const agent of fleet.agents) expect(agent.client.state, agent.agentId).toBe('open');
    expect(telemetryAgents(telemetry, marker)).toEqual(new Set(AGENT_IDS));
    fleet.agents.forEach((agent, i) => expect(agent.ticks, agent.agentId).toBeGreaterThan(ticksBefore[i]!));
    // Nothing was run or stored for the malformed commands.
    const badIds = ['in_array', 'bad_agent', 'bad_params', 'huge_params', 'boom', 'proto', 'tostring', 'no_command'];
    expect(deliveries(tasks, 'tasks').filter((f) => badIds.includes(String(dataOf(f).task_id)))).toEqual([]);
    for (const id of badIds) expect(server.tasks.get(id), id).toBeUndefined();

    // A valid task afterwards still runs.
    const taskId = newTaskId('after_malformed');
    await command(op, { command: 'execute_task', task_id: taskId, agent_id: 'agent_001' });
    const final = await waitFinal(tasks, taskId);
    expect(final).toMatchObject({ from: 'agent_001', data: { status: 'succeeded', progress: 100 } });
  });

  it('GET /api/agents lists agent_001…agent_005 online with their latest values (bearer auth)', async () => {
    const res = await restJson(server.url, '/api/agents', { token: viewerToken });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const agents = res.body as AgentInfo[];
    expect(agents.map((a) => a.agent_id)).toEqual(AGENT_IDS);
    for (const agent of agents) {
      expect(agent.online, agent.agent_id).toBe(true);
      expect(agent.last_seen).toMatch(ISO_8601);
      expect(Date.now() - Date.parse(agent.last_seen)).toBeLessThan(2000);
      for (const metric of METRICS) expect(typeof agent.latest[metric], `${agent.agent_id}.${metric}`).toBe('number');
      expect(agent.latest).not.toHaveProperty('agent_id');
    }
    // The values are live: they change between two reads.
    await sleep(3 * INTERVAL_MS);
    const again = (await restJson(server.url, '/api/agents', { token: viewerToken })).body as AgentInfo[];
    expect(again.some((a, i) => JSON.stringify(a.latest) !== JSON.stringify(agents[i]!.latest))).toBe(true);

    // No bearer → 401; an invalid one → 403; JSON errors either way.
    for (const [headers, status] of [
      [{}, 401],
      [{ Authorization: 'Basic dXNlcjpwYXNz' }, 401],
      [{ Authorization: 'Bearer not-a-jwt' }, 403],
    ] as const) {
      const refused = await restJson(server.url, '/api/agents', { headers });
      expect(refused.status, JSON.stringify(headers)).toBe(status);
      expect(refused.body).toMatchObject({
        error: { code: status === 401 ? 'unauthorized' : 'forbidden', message: expect.any(String) },
      });
    }
  });

  it('GET /api/tasks: newest first, ?status=, ?agent_id=, ?limit=; bad queries → 400 JSON; no bearer → 401, bad bearer → 403', async () => {
    const all = await restJson(server.url, '/api/tasks', { token: viewerToken });
    expect(all.status).toBe(200);
    const list = all.body as Task[];
    expect(list.length).toBeGreaterThanOrEqual(10); // the tasks of the tests above
    for (let i = 1; i < list.length; i++)
      expect(Date.parse(list[i - 1]!.created_at)).toBeGreaterThanOrEqual(Date.parse(list[i]!.created_at));

    const succeeded = (await restJson(server.url, '/api/tasks?status=succeeded', { token: viewerToken }))
      .body as Task[];
    expect(succeeded.length).toBeGreaterThanOrEqual(7);
    expect(succeeded.every((t) => t.status === 'succeeded')).toBe(true);
    const cancelled = (await restJson(server.url, '/api/tasks?status=cancelled', { token: viewerToken }))
      .body as Task[];
    expect(cancelled.length).toBeGreaterThanOrEqual(3);
    expect(cancelled.every((t) => t.status === 'cancelled')).toBe(true);

    const ofAgent3 = (await restJson(server.url, '/api/tasks?agent_id=agent_003', { token: viewerToken }))
      .body as Task[];
    expect(ofAgent3.length).toBeGreaterThanOrEqual(1);
    expect(ofAgent3.every((t) => t.agent_id === 'agent_003')).toBe(true);
    expect(ofAgent3).toEqual(list.filter((t) => t.agent_id === 'agent_003'));

    const two = (await restJson(server.url, '/api/tasks?limit=2', { token: viewerToken })).body as Task[];
    expect(two.map((t) => t.task_id)).toEqual(list.slice(0, 2).map((t) => t.task_id));
    const combined = (await restJson(server.url, '/api/tasks?status=succeeded&limit=1', { token: viewerToken }))
      .body as Task[];
    expect(combined.map((t) => t.task_id)).toEqual([succeeded[0]!.task_id]);

    for (const query of ['limit=0', 'limit=abc', 'limit=-1', 'limit=1.5', 'status=bogus', 'status=']) {
      const res = await restJson(server.url, `/api/tasks?${query}`, { token: viewerToken });
      expect(res.status, query).toBe(400);
      expect(res.headers.get('content-type'), query).toMatch(/application\/json/);
      expect(res.body, query).toMatchObject({ error: { code: 'invalid_request', message: expect.any(String) } });
    }
    const refused = await restJson(server.url, '/api/tasks');
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ error: { code: 'unauthorized' } });
    const expired = await restJson(server.url, '/api/tasks', {
      token: await signToken({ userId: 'late', role: 'operator', expiresInSeconds: -60 }),
    });
    expect(expired.status).toBe(403);
    expect(expired.body).toMatchObject({ error: { code: 'forbidden' } });
  });

  // Last: it replaces the server.
  it('the fleet keeps running across a server restart: agents reconnect, telemetry and tasks resume on the new server', async () => {
    const port = server.port;
    const ticksBefore = fleet.agents.map((a) => a.ticks);
    await server.close();
    await pollUntil(() => fleet.agents.every((a) => a.client.state !== 'open'), 3000);
    expect(fleet.agents.map((a) => a.client.state).every((s) => s === 'reconnecting' || s === 'connecting')).toBe(true);
    await sleep(300); // the fleet is without a server for a while

    server = await startServer({ env: { PORT: String(port), NEXUS_MOCK_INTERVAL_MS: String(INTERVAL_MS) } });
    expect(server.port).toBe(port);
    const telemetry = await watcher('telemetry');
    const tasks = await watcher('tasks');
    await waitForAgents(server, AGENT_IDS, 8000);
    expect(fleet.agents.every((a) => a.client.state === 'open')).toBe(true);
    const marker = telemetry.frames.length;
    await sleep(400);
    expect(telemetryAgents(telemetry, marker)).toEqual(new Set(AGENT_IDS));
    fleet.agents.forEach((agent, i) => expect(agent.ticks).toBeGreaterThan(ticksBefore[i]!));
    // Commands reach the agents again (their subscriptions were restored).
    const op = await operator();
    const taskId = newTaskId('after_restart');
    await command(op, { command: 'execute_task', task_id: taskId });
    const final = await waitFinal(tasks, taskId);
    expect(dataOf(final).status).toBe('succeeded');
    expect(AGENT_IDS).toContain(dataOf(final).agent_id);
    const res = await restJson(server.url, '/api/agents', { token: viewerToken });
    expect((res.body as AgentInfo[]).filter((a) => a.online).map((a) => a.agent_id)).toEqual(AGENT_IDS);
  });
});

describe('a failing agent through a real server', () => {
  it('failureRate 1: the task ends failed with an error text on `tasks` and at /api/tasks', async () => {
    const server = await startServer({ env: { NEXUS_MOCK_INTERVAL_MS: String(INTERVAL_MS) } });
    const fleet = startTestFleet(server.wsUrl, { count: 1, failureRate: 1 });
    const clients: TestClient[] = [];
    try {
      await waitForAgents(server, ['agent_001']);
      const tasks = await TestClient.connect(server.wsUrl, await tokenFor('fail_viewer'));
      clients.push(tasks);
      await tasks.subscribe('tasks');
      const op = await TestClient.connect(server.wsUrl, await tokenFor('fail_op', 'operator'));
      clients.push(op);
      await op.publish('commands', { command: 'execute_task', task_id: 'doomed', agent_id: 'agent_001' });
      const final = await waitFinal(tasks, 'doomed');
      expect(final).toMatchObject({ from: 'agent_001', data: { status: 'failed', agent_id: 'agent_001' } });
      expect(String(dataOf(final).error).length).toBeGreaterThan(0);
      expect(dataOf(final).progress as number).toBeLessThan(100);
      const res = await restJson(server.url, '/api/tasks?status=failed', { token: await tokenFor('fail_viewer') });
      expect(res.body).toEqual([
        expect.objectContaining({ task_id: 'doomed', status: 'failed', error: dataOf(final).error }),
      ]);
    } finally {
      fleet.stop();
      await Promise.all(clients.map((c) => c.close()));
      await server.close();
    }
  });
});

// ---- the built process and the CLI -------------------------------------------------------------

const PROCESS_SECRET = 'fleet-int-test-secret-0123456789-abcdefghijklmnop';

const within = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise, sleep(ms).then(() => 'timeout' as const)]);

describe('the real processes (node dist/…)', () => {
  beforeAll(() => {
    ensureBuilt(
      ['dist/server/main.js', 'dist/mock/cli.js', 'dist/mock/agent.js'],
      ['src/server', 'packages/client/src', 'src/mock'],
    );
  }, 120_000);

  // Only the children this file started, by their PID.
  afterEach(() => stopAll('SIGKILL'));

  it('node dist/server/main.js with NEXUS_MOCK_AGENTS=3 runs the fleet in-process and stops on SIGTERM with exit code 0', async () => {
    const child = spawnNode('dist/server/main.js', [], {
      PORT: '0',
      HOST: '127.0.0.1',
      NEXUS_MOCK_AGENTS: '3',
      NEXUS_MOCK_INTERVAL_MS: '200',
      NEXUS_JWT_SECRET: PROCESS_SECRET,
    });
    const port = await waitForListening(child);
    expect(port, `stdout: ${child.stdout.join('\n')}\nstderr: ${child.stderr.join('\n')}`).toBeGreaterThan(0);

    const token = await signToken({
      userId: 'proc_viewer',
      role: 'viewer',
      expiresInSeconds: 600,
      secret: PROCESS_SECRET,
    });
    const client = await TestClient.connect(`ws://127.0.0.1:${port}/ws`, token);
    try {
      await client.subscribe('telemetry');
      const seen = await pollUntil(() => telemetryAgents(client).size >= 3, 5000);
      expect(seen).toBe(true);
      expect(telemetryAgents(client)).toEqual(new Set(['agent_001', 'agent_002', 'agent_003']));
      for (const frame of deliveries(client, 'telemetry')) {
        expect(frame.from).toBe(dataOf(frame).agent_id); // each agent has its own token
        for (const metric of METRICS) expect(typeof dataOf(frame)[metric]).toBe('number');
      }
      // The process's REST view knows the three agents.
      const agents = await restJson(`http://127.0.0.1:${port}`, '/api/agents', { token });
      expect((agents.body as AgentInfo[]).map((a) => a.agent_id)).toEqual(['agent_001', 'agent_002', 'agent_003']);

      process.kill(child.process.pid!, 'SIGTERM');
      const exit = await within(child.exited, 10_000);
      expect(exit).toEqual({ code: 0, signal: null });
      expect(await within(client.closed, 2000)).not.toBe('timeout');
    } finally {
      await client.close();
    }
  }, 20_000);

  it('npm run agents (node dist/mock/cli.js) runs one agent per given token, each speaking for itself, and stops on SIGTERM', async () => {
    const server = await startServer();
    try {
      const tokens = await Promise.all([
        signToken({ userId: 'cli_user_1', role: 'agent', expiresInSeconds: 600, extraClaims: { agent_id: 'cli_a' } }),
        tokenFor('cli_b', 'agent'),
      ]);
      const watcherClient = await TestClient.connect(server.wsUrl, await tokenFor('cli_viewer'));
      try {
        await watcherClient.subscribe('telemetry');
        const child = spawnNode(
          'dist/mock/cli.js',
          ['--url', server.wsUrl, '--token', tokens[0]!, '--token', tokens[1]!, '--interval', '200'],
          {},
        );
        const seen = await pollUntil(
          () => telemetryAgents(watcherClient).size >= 2 || child.process.exitCode !== null,
          8000,
        );
        expect(seen).toBe(true);
        expect(telemetryAgents(watcherClient), `stderr: ${child.stderr.join('\n')}`).toEqual(
          new Set(['cli_a', 'cli_b']),
        );
        for (const frame of deliveries(watcherClient, 'telemetry')) {
          expect(frame.from).toBe(dataOf(frame).agent_id === 'cli_a' ? 'cli_user_1' : 'cli_b');
          for (const metric of METRICS) expect(typeof dataOf(frame)[metric]).toBe('number');
        }
        expect(server.connections()).toBe(3); // two agents and the watcher

        process.kill(child.process.pid!, 'SIGTERM');
        const exit = await within(child.exited, 5000);
        expect(exit).toEqual({ code: 0, signal: null });
        expect(await pollUntil(() => server.connections() === 1, 3000)).toBe(true);
      } finally {
        await watcherClient.close();
      }
    } finally {
      await server.close();
    }
  }, 20_000);

  it('npm run agents in dev mode gets a token per agent and prefixes their ids, so they never collide with the in-process fleet', async () => {
    const server = await startServer({ env: { NEXUS_JWT_SECRET: undefined } });
    try {
      const viewer = await server.auth.sign({ userId: 'dev_viewer', role: 'viewer' }, 600);
      const watcherClient = await TestClient.connect(server.wsUrl, viewer);
      try {
        await watcherClient.subscribe('telemetry');
        const child = spawnNode(
          'dist/mock/cli.js',
          ['--url', server.wsUrl, '--count', '2', '--prefix', 'ext_', '--interval', '200'],
          {},
        );
        const seen = await pollUntil(
          () => telemetryAgents(watcherClient).size >= 2 || child.process.exitCode !== null,
          8000,
        );
        expect(seen, `stderr: ${child.stderr.join('\n')}`).toBe(true);
        expect(telemetryAgents(watcherClient)).toEqual(new Set(['ext_agent_001', 'ext_agent_002']));
        process.kill(child.process.pid!, 'SIGTERM');
        expect(await within(child.exited, 5000)).toEqual({ code: 0, signal: null });
      } finally {
        await watcherClient.close();
      }
    } finally {
      await server.close();
    }
  }, 20_000);

  it('npm run agents rejects bad arguments with a usage line and exit code 2', async () => {
    const noUrl = spawnNode('dist/mock/cli.js', [], {});
    expect(await within(noUrl.exited, 5000)).toEqual({ code: 2, signal: null });
    expect(noUrl.stderr.join('\n')).toMatch(/usage: npm run agents/);
    const badCount = spawnNode('dist/mock/cli.js', ['--url', 'ws://127.0.0.1:9/ws', '--count', '0'], {});
    expect(await within(badCount.exited, 5000)).toEqual({ code: 2, signal: null });
    expect(badCount.stderr.join('\n')).toMatch(/--count/);
    const viewerToken = await tokenFor('not_an_agent', 'viewer');
    const wrongRole = spawnNode('dist/mock/cli.js', ['--url', 'ws://127.0.0.1:9/ws', '--token', viewerToken], {});
    expect(await within(wrongRole.exited, 5000)).toEqual({ code: 2, signal: null });
    expect(wrongRole.stderr.join('\n')).toMatch(/not "agent"/);
  });
});
