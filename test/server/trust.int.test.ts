/**
 * The trust model of docs/security.md against a real in-process server: an agent speaks only for
 * the one agent its token names (telemetry, claims, task updates) and can never create, cancel,
 * finish or reassign someone else's task — over WebSocket and `POST /api/publish` alike; commands
 * are checked before anyone receives them; `broadcast` frames name their author (`nexus` for the
 * server's own task updates, which no token may claim); and tasks never stay queued or running
 * forever (claim timeouts).
 *
 * Every refusal is proven twice: by the answer (`forbidden`, `invalid_command`, `not_found`, with
 * the frame's id) and by its absence of effect — a subscriber of the channel receives a marker
 * published afterwards and nothing before it, and `GET /api/tasks` / `GET /api/agents` are
 * unchanged.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AgentInfo, Task } from '@nexus-realtime/client/protocol';
import { clientPool, restJson, waitForFrame, waitForMarker } from '../helpers/assertions.js';
import { pollUntil } from '../helpers/raw.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { signToken, tokenFor } from '../helpers/tokens.js';
import { sleep, TestClient, type Frame } from '../helpers/ws-client.js';

const pool = clientPool();
afterEach(() => pool.closeAll());

type Data = Record<string, unknown>;
const dataOf = (f: Frame): Data =>
  typeof f.data === 'object' && f.data !== null && !Array.isArray(f.data) ? (f.data as Data) : {};

let counter = 0;
/** A task id no other test of this file uses. */
const freshId = (prefix: string) => `${prefix}-${process.pid}-${++counter}`;

/** A token of role `agent` for `userId`, naming `agentId` in its `agent_id` claim when given. */
function agentToken(userId: string, agentId?: string): Promise<string> {
  return signToken({
    userId,
    role: 'agent',
    expiresInSeconds: 3600,
    ...(agentId === undefined ? {} : { extraClaims: { agent_id: agentId } }),
  });
}

async function listTasks(server: TestServer): Promise<Task[]> {
  const res = await restJson(server.url, '/api/tasks?limit=1000', { token: await tokenFor('tasks-reader') });
  expect(res.status).toBe(200);
  return res.body as Task[];
}

async function taskOf(server: TestServer, taskId: string): Promise<Task | undefined> {
  return (await listTasks(server)).find((t) => t.task_id === taskId);
}

async function listAgents(server: TestServer): Promise<AgentInfo[]> {
  const res = await restJson(server.url, '/api/agents', { token: await tokenFor('agents-reader') });
  expect(res.status).toBe(200);
  return res.body as AgentInfo[];
}

/** Tasks that are not markers, for before/after comparisons. */
const realTasks = (tasks: readonly Task[]) => tasks.filter((t) => !t.task_id.startsWith('marker-'));

/** Deliveries on `channel` received by `client` from frame index `from` on. */
const deliveriesSince = (client: TestClient, channel: string, from: number) =>
  client.frames.slice(from).filter((f) => (f.type === 'message' || f.type === 'broadcast') && f.channel === channel);

/** Polls `read` until `done` or the deadline; returns the last value. */
async function poll<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await sleep(50);
    value = await read();
  }
  return value;
}

/** A task update `broadcast`/`message` on `tasks` for `taskId` with `status`. */
const isTaskFrame = (taskId: string, status?: string) => (f: Frame) =>
  (f.type === 'broadcast' || f.type === 'message') &&
  f.channel === 'tasks' &&
  dataOf(f).task_id === taskId &&
  (status === undefined || dataOf(f).status === status);

/**
 * One server with a long claim timeout (nothing times out during these tests), an operator, and
 * one watcher per domain channel. Markers prove "nothing delivered": after a refused publish the
 * operator publishes a marker on the same channel, and everything the watcher received in between
 * must be that marker alone. Markers change no task state: `tasks` markers repeat the queued
 * state of `marker-task`, `commands` markers cancel the already-cancelled `marker-cancelled`.
 */
describe('agents speak only for themselves; commands are checked; broadcasts name their author', () => {
  let server: TestServer;
  let ops: TestClient;
  const watchers: Record<string, TestClient> = {};
  const CHANNELS = ['telemetry', 'tasks', 'commands', 'tasks.claims'] as const;
  let markers = 0;

  const markerPayload = (channel: string, marker: string): Data => {
    switch (channel) {
      case 'telemetry':
        return { agent_id: 'marker_bot', marker };
      case 'tasks':
        return { task_id: 'marker-task', status: 'queued', progress: 0, marker };
      case 'commands':
        return { command: 'cancel_task', task_id: 'marker-cancelled', marker };
      default:
        return { marker };
    }
  };

  /** Proves nothing reached `channel`'s watcher since frame index `from`: only a marker published now arrives. */
  async function expectNothingDelivered(channel: string, from: number, context: string): Promise<void> {
    const marker = `m${++markers}`;
    const ack = await ops.publish(channel, markerPayload(channel, marker));
    expect(ack, `${context}: marker on ${channel}`).toMatchObject({ type: 'ack' });
    const watcher = watchers[channel]!;
    await waitForMarker(watcher, channel, marker);
    expect(
      deliveriesSince(watcher, channel, from).map((f) => f.data),
      `${context}: deliveries on ${channel}`,
    ).toEqual([markerPayload(channel, marker)]);
  }

  const marks = () => Object.fromEntries(CHANNELS.map((c) => [c, watchers[c]!.frames.length]));

  const connectAgent = async (userId: string, agentId?: string) =>
    pool.track(await TestClient.connect(server.wsUrl, await agentToken(userId, agentId)));

  beforeAll(async () => {
    server = await startServer({ env: { NEXUS_TASK_CLAIM_TIMEOUT_S: '3600' } });
    ops = await TestClient.connect(server.wsUrl, await tokenFor('ops-1', 'operator'));
    expect(await ops.publish('commands', { command: 'execute_task', task_id: 'marker-task' })).toMatchObject({
      type: 'ack',
    });
    expect(await ops.publish('commands', { command: 'execute_task', task_id: 'marker-cancelled' })).toMatchObject({
      type: 'ack',
    });
    expect(await ops.publish('commands', { command: 'cancel_task', task_id: 'marker-cancelled' })).toMatchObject({
      type: 'ack',
    });
    await poll(
      () => taskOf(server, 'marker-cancelled'),
      (t) => t?.status === 'cancelled',
    );
    for (const channel of CHANNELS) {
      const watcher = await TestClient.connect(server.wsUrl, await tokenFor(`watch-${channel}`));
      expect(await watcher.subscribe(channel)).toMatchObject({ type: 'subscribed', channel });
      watchers[channel] = watcher;
    }
  });
  afterAll(async () => {
    await Promise.all([ops, ...Object.values(watchers)].map((c) => c?.close()));
    await server?.close();
  });

  /**
   * Two agents and their tasks: `bTask` addressed to agent_b and running (progress 10), `aTask`
   * addressed to agent_a (queued), `openTask` unaddressed and unclaimed (queued).
   */
  async function fleet() {
    const agentA = await connectAgent('device-a', 'agent_a');
    const agentB = await connectAgent('device-b', 'agent_b');
    const bTask = freshId('b-task');
    const openTask = freshId('open-task');
    const aTask = freshId('a-task');
    expect(
      await ops.publish('commands', { command: 'execute_task', task_id: bTask, agent_id: 'agent_b' }),
    ).toMatchObject({ type: 'ack' });
    expect(
      await ops.publish('commands', { command: 'execute_task', task_id: aTask, agent_id: 'agent_a' }),
    ).toMatchObject({ type: 'ack' });
    expect(await ops.publish('commands', { command: 'execute_task', task_id: openTask })).toMatchObject({
      type: 'ack',
    });
    expect(
      await agentB.publish('tasks', { task_id: bTask, status: 'running', progress: 10, agent_id: 'agent_b' }),
    ).toMatchObject({ type: 'ack' });
    // The server's queued announcements are out before any test starts counting deliveries.
    await waitForFrame(watchers.tasks!, isTaskFrame(aTask, 'queued'));
    await waitForFrame(watchers.tasks!, isTaskFrame(openTask, 'queued'));
    await waitForFrame(watchers.tasks!, isTaskFrame(bTask, 'running'));
    expect(await taskOf(server, bTask)).toMatchObject({ status: 'running', progress: 10, agent_id: 'agent_b' });
    expect(await taskOf(server, openTask)).toMatchObject({ status: 'queued', agent_id: null });
    // agent_b's connection is listed (its state is applied in the background) before anything is compared.
    const listed = await pollUntil(
      async () => (await listAgents(server)).some((a) => a.agent_id === 'agent_b'),
      10_000,
    );
    expect(listed, 'agent_b listed once connected').toBe(true);
    return { agentA, agentB, aTask, bTask, openTask };
  }

  /** Everything agent_a (agentId `agent_a`) must not say, given the fleet's tasks. */
  const forgeries = ({ aTask, bTask, openTask }: Record<'aTask' | 'bTask' | 'openTask', string>) =>
    [
      ['telemetry for agent_b', 'telemetry', { agent_id: 'agent_b', cpu_usage: 99.9, memory_mb: 1 }],
      ['telemetry without agent_id', 'telemetry', { cpu_usage: 1 }],
      ["another agent's task succeeded", 'tasks', { task_id: bTask, status: 'succeeded', progress: 100 }],
      [
        "another agent's task succeeded, speaking as it",
        'tasks',
        { task_id: bTask, status: 'succeeded', progress: 100, agent_id: 'agent_b' },
      ],
      [
        "another agent's task reassigned to itself",
        'tasks',
        { task_id: bTask, status: 'running', progress: 20, agent_id: 'agent_a' },
      ],
      ["another agent's task failed", 'tasks', { task_id: bTask, status: 'failed', progress: 10, error: 'x' }],
      ['an unclaimed task started', 'tasks', { task_id: openTask, status: 'running', progress: 1 }],
      [
        'a phantom task',
        'tasks',
        { task_id: 'phantom', status: 'running', progress: 1, command: 'rm -rf /', agent_id: 'agent_a' },
      ],
      [
        'a phantom task (no agent_id)',
        'tasks',
        { task_id: 'phantom', status: 'running', progress: 1, command: 'rm -rf /' },
      ],
      [
        'execute_task',
        'commands',
        { command: 'execute_task', task_id: 'agent-made', agent_id: 'agent_a', params: { cmd: 'rm -rf /' } },
      ],
      ['cancel_task', 'commands', { command: 'cancel_task', task_id: bTask }],
      ['cancel_task of a queued task', 'commands', { command: 'cancel_task', task_id: openTask }],
      ['a claim for another agent', 'tasks.claims', { task_id: openTask, agent_id: 'agent_b' }],
      [
        'its own task handed to agent_b',
        'tasks',
        { task_id: aTask, status: 'running', progress: 5, agent_id: 'agent_b' },
      ],
    ] as [string, string, unknown][];

  /** What the forgeries must leave alone: every task, and agent_b's entry in the agent list. */
  async function snapshot() {
    return { tasks: await listTasks(server), agentB: (await listAgents(server)).find((a) => a.agent_id === 'agent_b') };
  }

  /** After the forgeries: no task changed, none appeared, agent_b was not seen (nor shown online). */
  async function expectNothingChanged(
    before: Awaited<ReturnType<typeof snapshot>>,
    bTask: string,
    openTask: string,
  ): Promise<void> {
    const after = await listTasks(server);
    expect(realTasks(after)).toEqual(realTasks(before.tasks));
    expect(after.map((t) => t.task_id)).not.toContain('phantom');
    expect(after.map((t) => t.task_id)).not.toContain('agent-made');
    expect(after.find((t) => t.task_id === bTask)).toMatchObject({
      status: 'running',
      progress: 10,
      agent_id: 'agent_b',
    });
    expect(after.find((t) => t.task_id === openTask)).toMatchObject({ status: 'queued', agent_id: null });
    const agentB = (await listAgents(server)).find((a) => a.agent_id === 'agent_b');
    // agent_b never published telemetry itself: its entry (none on a clean server) is unchanged.
    expect(agentB).toEqual(before.agentB);
    expect(agentB?.online ?? false, 'agent_b shown online').toBe(before.agentB?.online ?? false);
  }

  describe('an agent (agent_id agent_a) cannot speak for another agent or create, cancel, finish or reassign tasks', () => {
    it('over WebSocket: each forgery answers forbidden with its id, reaches no subscriber, changes no task', async () => {
      const tasks = await fleet();
      const { agentA, bTask, openTask } = tasks;
      const before = await snapshot();
      // agent_b is connected (listed with its state) but never sent telemetry.
      expect(before.agentB?.latest ?? {}, 'agent_b telemetry before').toEqual({});
      for (const [what, channel, payload] of forgeries(tasks)) {
        const from = marks();
        const id = `forge-${what}`;
        const reply = await agentA.request({ action: 'publish', channel, payload, id });
        expect(reply, what).toMatchObject({ type: 'error', code: 'forbidden', id });
        await expectNothingDelivered(channel, from[channel]!, what);
      }
      // No forgery slipped out on another domain channel either (e.g. a server announcement).
      await agentA.assertAlive();
      await expectNothingChanged(before, bTask, openTask);
      // The refused claim for agent_b was never recorded: agent_a's own claim, made now, comes first.
      expect(
        await agentA.publish('tasks.claims', { task_id: openTask, agent_id: 'agent_a' }),
        'agent_a claims for itself',
      ).toMatchObject({ type: 'ack' });
      expect(
        await agentA.publish('tasks', { task_id: openTask, status: 'running', progress: 3, agent_id: 'agent_a' }),
        'agent_a, whose claim came first, starts the task',
      ).toMatchObject({ type: 'ack' });
    });

    it('a refused forgery without an id still answers forbidden and delivers nothing', async () => {
      const tasks = await fleet();
      const { agentA, bTask, openTask } = tasks;
      const before = await snapshot();
      const from = marks();
      const errorsBefore = agentA.ofType('error').length;
      agentA.send({
        action: 'publish',
        channel: 'tasks',
        payload: { task_id: bTask, status: 'succeeded', progress: 100 },
      });
      agentA.send({ action: 'publish', channel: 'telemetry', payload: { agent_id: 'agent_b', cpu_usage: 5 } });
      await agentA.assertAlive();
      expect(agentA.ofType('error').slice(errorsBefore)).toMatchObject([{ code: 'forbidden' }, { code: 'forbidden' }]);
      await expectNothingDelivered('tasks', from.tasks!, 'no-id task forgery');
      await expectNothingDelivered('telemetry', from.telemetry!, 'no-id telemetry forgery');
      await expectNothingChanged(before, bTask, openTask);
    });

    it('over REST POST /api/publish with the agent token: 403 forbidden for each forgery, nothing delivered, no task changed', async () => {
      const tasks = await fleet();
      const { bTask, openTask } = tasks;
      const token = await agentToken('device-a', 'agent_a');
      const before = await snapshot();
      for (const [what, channel, payload] of forgeries(tasks)) {
        const from = marks();
        const res = await restJson(server.url, '/api/publish', { method: 'POST', token, body: { channel, payload } });
        expect(res.status, what).toBe(403);
        expect(res.body, what).toMatchObject({ error: { code: 'forbidden', message: expect.any(String) } });
        await expectNothingDelivered(channel, from[channel]!, `REST ${what}`);
      }
      await expectNothingChanged(before, bTask, openTask);
    });
  });

  describe('an agent can do what is its own', () => {
    it('telemetry with its own agent_id: delivered (from its userId), listed online in /api/agents', async () => {
      const agentA = await connectAgent('device-a', 'agent_a');
      const from = watchers.telemetry!.frames.length;
      const ack = await agentA.publish('telemetry', { agent_id: 'agent_a', cpu_usage: 12.5, memory_mb: 256 });
      expect(ack).toMatchObject({ type: 'ack', channel: 'telemetry' });
      const frame = await waitForFrame(watchers.telemetry!, (f) => f.channel === 'telemetry' && f.seq === ack.seq, {
        from,
      });
      expect(frame).toMatchObject({
        type: 'message',
        from: 'device-a',
        data: { agent_id: 'agent_a', cpu_usage: 12.5, memory_mb: 256 },
      });
      const agents = await listAgents(server);
      expect(agents.find((a) => a.agent_id === 'agent_a')).toMatchObject({
        online: true,
        latest: { cpu_usage: 12.5, memory_mb: 256 },
      });
      // Over REST too.
      const rest = await restJson(server.url, '/api/publish', {
        method: 'POST',
        token: await agentToken('device-a', 'agent_a'),
        body: { channel: 'telemetry', payload: { agent_id: 'agent_a', cpu_usage: 13 } },
      });
      expect(rest.status).toBe(202);
      expect(
        (
          await poll(
            () => listAgents(server),
            (list) => list.find((a) => a.agent_id === 'agent_a')?.latest.cpu_usage === 13,
          )
        ).find((a) => a.agent_id === 'agent_a')?.latest.cpu_usage,
      ).toBe(13);
    });

    it('updates of a task addressed to it: running, progress, succeeded — delivered and stored', async () => {
      const agentA = await connectAgent('device-a', 'agent_a');
      const taskId = freshId('a-task');
      expect(
        await ops.publish('commands', { command: 'execute_task', task_id: taskId, agent_id: 'agent_a' }),
      ).toMatchObject({ type: 'ack' });
      for (const update of [
        { task_id: taskId, status: 'running', progress: 0, agent_id: 'agent_a' },
        { task_id: taskId, status: 'running', progress: 40 },
        { task_id: taskId, status: 'succeeded', progress: 100, agent_id: 'agent_a' },
      ]) {
        const ack = await agentA.publish('tasks', update);
        expect(ack, JSON.stringify(update)).toMatchObject({ type: 'ack', channel: 'tasks' });
        const frame = await waitForFrame(watchers.tasks!, (f) => f.channel === 'tasks' && f.seq === ack.seq);
        expect(frame).toMatchObject({ type: 'message', from: 'device-a', data: update });
      }
      expect(await taskOf(server, taskId)).toMatchObject({ status: 'succeeded', progress: 100, agent_id: 'agent_a' });
    });

    it('claims an unaddressed task first and runs it; another agent whose claim came later may not report on it', async () => {
      const { agentA, agentB, openTask } = await fleet();
      expect(await agentA.publish('tasks.claims', { task_id: openTask, agent_id: 'agent_a' })).toMatchObject({
        type: 'ack',
        channel: 'tasks.claims',
      });
      // A claim for itself is not refused, but it comes second and wins nothing.
      expect(await agentB.publish('tasks.claims', { task_id: openTask, agent_id: 'agent_b' })).toMatchObject({
        type: 'ack',
        channel: 'tasks.claims',
      });
      expect(
        await agentA.publish('tasks', { task_id: openTask, status: 'running', progress: 5, agent_id: 'agent_a' }),
      ).toMatchObject({ type: 'ack', channel: 'tasks' });
      expect(await taskOf(server, openTask)).toMatchObject({ status: 'running', progress: 5, agent_id: 'agent_a' });

      const before = await listTasks(server);
      for (const [what, payload] of [
        ['later claimant finishes it', { task_id: openTask, status: 'succeeded', progress: 100 }],
        ['later claimant takes it over', { task_id: openTask, status: 'running', progress: 50, agent_id: 'agent_b' }],
        ['later claimant fails it', { task_id: openTask, status: 'failed', progress: 5, error: 'mine now' }],
      ] as const) {
        const from = watchers.tasks!.frames.length;
        const reply = await agentB.request({ action: 'publish', channel: 'tasks', payload, id: what });
        expect(reply, what).toMatchObject({ type: 'error', code: 'forbidden', id: what });
        await expectNothingDelivered('tasks', from, what);
      }
      expect(realTasks(await listTasks(server))).toEqual(realTasks(before));
      // The winner carries on.
      expect(
        await agentA.publish('tasks', { task_id: openTask, status: 'succeeded', progress: 100, agent_id: 'agent_a' }),
      ).toMatchObject({ type: 'ack' });
      expect(await taskOf(server, openTask)).toMatchObject({ status: 'succeeded', progress: 100, agent_id: 'agent_a' });
    });
  });

  describe('which agent a token names', () => {
    it('without an agent_id claim, the agent id is the userId', async () => {
      const agentC = await connectAgent('agent_c');
      const taskId = freshId('c-task');
      expect(
        await ops.publish('commands', { command: 'execute_task', task_id: taskId, agent_id: 'agent_c' }),
      ).toMatchObject({ type: 'ack' });
      expect(await agentC.publish('telemetry', { agent_id: 'agent_c', cpu_usage: 3 })).toMatchObject({ type: 'ack' });
      expect(
        await agentC.publish('tasks', { task_id: taskId, status: 'running', progress: 7, agent_id: 'agent_c' }),
      ).toMatchObject({ type: 'ack' });
      expect(await taskOf(server, taskId)).toMatchObject({ status: 'running', progress: 7, agent_id: 'agent_c' });
      // ... and only that.
      const from = marks();
      expect(await agentC.publish('telemetry', { agent_id: 'agent_a', cpu_usage: 3 })).toMatchObject({
        type: 'error',
        code: 'forbidden',
      });
      await expectNothingDelivered('telemetry', from.telemetry!, 'agent_c as agent_a');
      // A token with only `sub` names its subject.
      const agentD = pool.track(
        await TestClient.connect(
          server.wsUrl,
          await signToken({ sub: 'agent_d', role: 'agent', expiresInSeconds: 3600 }),
        ),
      );
      expect(await agentD.publish('telemetry', { agent_id: 'agent_d', cpu_usage: 4 })).toMatchObject({ type: 'ack' });
      expect(await agentD.publish('telemetry', { agent_id: 'agent_c', cpu_usage: 4 })).toMatchObject({
        type: 'error',
        code: 'forbidden',
      });
    });

    it('with an agent_id claim, the claim wins over the userId', async () => {
      // userId "agent_e", but the token names agent_f.
      const agent = await connectAgent('agent_e', 'agent_f');
      expect(await agent.publish('telemetry', { agent_id: 'agent_f', cpu_usage: 1 })).toMatchObject({ type: 'ack' });
      const from = marks();
      expect(await agent.publish('telemetry', { agent_id: 'agent_e', cpu_usage: 1 })).toMatchObject({
        type: 'error',
        code: 'forbidden',
      });
      await expectNothingDelivered('telemetry', from.telemetry!, 'agent_f as its userId');
      expect((await listAgents(server)).map((a) => a.agent_id)).not.toContain('agent_e');
    });
  });

  describe('commands are checked before anyone receives them', () => {
    const bigParams = { blob: 'x'.repeat(17 * 1024) };

    it('over WebSocket: unknown command, missing task_id, duplicate task_id, params over 16 KiB → invalid_command; cancel of an unknown task → not_found; ids echoed, nothing delivered', async () => {
      const dup = freshId('dup');
      const big = freshId('big');
      expect(
        await ops.publish('commands', { command: 'execute_task', task_id: dup, agent_id: 'agent_x', params: { n: 1 } }),
      ).toMatchObject({ type: 'ack' });
      await waitForFrame(watchers.tasks!, isTaskFrame(dup, 'queued'));
      const stored = await taskOf(server, dup);
      expect(stored).toMatchObject({ status: 'queued', agent_id: 'agent_x', params: { n: 1 } });
      const before = await listTasks(server);
      const cases: [string, unknown, string][] = [
        ['unknown', { command: 'frobnicate', task_id: freshId('frob') }, 'invalid_command'],
        ['no task_id', { command: 'execute_task', agent_id: 'agent_x' }, 'invalid_command'],
        ['empty task_id', { command: 'execute_task', task_id: '' }, 'invalid_command'],
        ['cancel without task_id', { command: 'cancel_task' }, 'invalid_command'],
        [
          'duplicate',
          { command: 'execute_task', task_id: dup, agent_id: 'agent_y', params: { n: 2 } },
          'invalid_command',
        ],
        ['big params', { command: 'execute_task', task_id: big, params: bigParams }, 'invalid_command'],
        ['not an object', 'execute_task', 'invalid_command'],
        ['cancel unknown', { command: 'cancel_task', task_id: freshId('nope') }, 'not_found'],
      ];
      for (const [n, [what, payload, code]] of cases.entries()) {
        const from = marks();
        const id = n % 2 === 0 ? `cmd-${what}` : 1000 + n;
        const reply = await ops.request({ action: 'publish', channel: 'commands', payload, id });
        expect(reply, what).toMatchObject({ type: 'error', code, id, message: expect.any(String) });
        await expectNothingDelivered('commands', from.commands!, what);
        // Nor did the server announce a task for it.
        await expectNothingDelivered('tasks', from.tasks!, what);
      }
      expect(realTasks(await listTasks(server))).toEqual(realTasks(before));
      expect(await taskOf(server, dup)).toEqual(stored);
      expect(await taskOf(server, big)).toBeUndefined();
    });

    it('over REST: the same refusals answer 400 invalid_command / 404 not_found, nothing delivered', async () => {
      const token = await tokenFor('ops-rest', 'operator');
      const post = (payload: unknown) =>
        restJson(server.url, '/api/publish', { method: 'POST', token, body: { channel: 'commands', payload } });
      const dup = freshId('rest-dup');
      const big = freshId('rest-big');
      expect((await post({ command: 'execute_task', task_id: dup })).status).toBe(202);
      await waitForFrame(watchers.tasks!, isTaskFrame(dup, 'queued'));
      const before = await listTasks(server);
      const cases: [string, unknown, number, string][] = [
        ['unknown', { command: 'frobnicate', task_id: freshId('frob') }, 400, 'invalid_command'],
        ['no task_id', { command: 'execute_task' }, 400, 'invalid_command'],
        ['duplicate', { command: 'execute_task', task_id: dup, agent_id: 'agent_y' }, 400, 'invalid_command'],
        ['big params', { command: 'execute_task', task_id: big, params: bigParams }, 400, 'invalid_command'],
        ['cancel unknown', { command: 'cancel_task', task_id: freshId('nope') }, 404, 'not_found'],
      ];
      for (const [what, payload, status, code] of cases) {
        const from = marks();
        const res = await post(payload);
        expect(res.status, what).toBe(status);
        expect(res.body, what).toMatchObject({ error: { code, message: expect.any(String) } });
        await expectNothingDelivered('commands', from.commands!, `REST ${what}`);
        await expectNothingDelivered('tasks', from.tasks!, `REST ${what}`);
      }
      expect(realTasks(await listTasks(server))).toEqual(realTasks(before));
      expect(await taskOf(server, big)).toBeUndefined();
    });

    it('params of exactly 16 KiB are accepted (the limit is not off by one)', async () => {
      const taskId = freshId('edge');
      // {"blob":"…"} is 11 bytes around the string.
      const params = { blob: 'y'.repeat(16 * 1024 - 11) };
      expect(new TextEncoder().encode(JSON.stringify(params)).length).toBe(16 * 1024);
      expect(await ops.publish('commands', { command: 'execute_task', task_id: taskId, params })).toMatchObject({
        type: 'ack',
      });
      expect(await taskOf(server, taskId)).toMatchObject({ status: 'queued', params });
    });
  });

  describe('broadcast frames name their author', () => {
    it('a REST publish by ops-1 arrives as a broadcast from ops-1', async () => {
      const channel = freshId('events.rest');
      const watcher = await pool.connect(server.wsUrl, await tokenFor('rest-from-watch'));
      const sub = await watcher.subscribe(channel);
      const res = await restJson(server.url, '/api/publish', {
        method: 'POST',
        token: await tokenFor('ops-1', 'operator'),
        body: { channel, payload: { note: 'hello' } },
      });
      expect(res.status).toBe(202);
      const frame = await waitForFrame(watcher, (f) => f.channel === channel && f.seq === (sub.seq as number) + 1);
      expect(frame).toEqual({
        type: 'broadcast',
        channel,
        from: 'ops-1',
        data: { note: 'hello' },
        timestamp: expect.any(String),
        seq: (sub.seq as number) + 1,
        epoch: sub.epoch,
      });
    });

    it("the server's own queued update arrives as a broadcast from nexus; an agent's update as a message from its userId", async () => {
      const agent = await connectAgent('device-q', 'agent_q');
      const taskId = freshId('from-task');
      const from = watchers.tasks!.frames.length;
      expect(
        await ops.publish('commands', { command: 'execute_task', task_id: taskId, agent_id: 'agent_q' }),
      ).toMatchObject({ type: 'ack' });
      const queued = await waitForFrame(watchers.tasks!, isTaskFrame(taskId, 'queued'), { from });
      expect(queued).toMatchObject({
        type: 'broadcast',
        channel: 'tasks',
        from: 'nexus',
        data: { task_id: taskId, status: 'queued', progress: 0, agent_id: 'agent_q', command: 'execute_task' },
      });
      expect(await agent.publish('tasks', { task_id: taskId, status: 'running', progress: 1 })).toMatchObject({
        type: 'ack',
      });
      const running = await waitForFrame(watchers.tasks!, isTaskFrame(taskId, 'running'), { from });
      expect(running).toMatchObject({ type: 'message', from: 'device-q' });
    });

    it('no token may use the userId nexus: WebSocket upgrade 403, REST 403', async () => {
      for (const token of [
        await tokenFor('nexus', 'admin'),
        await signToken({ sub: 'nexus', role: 'operator', expiresInSeconds: 3600 }),
        await signToken({ userId: 'nexus', role: 'agent', expiresInSeconds: 3600, extraClaims: { agent_id: 'a1' } }),
      ]) {
        expect(await TestClient.upgradeStatus(`${server.wsUrl}?token=${encodeURIComponent(token)}`)).toBe(403);
        expect(await TestClient.upgradeStatus(server.wsUrl, { headers: { Authorization: `Bearer ${token}` } })).toBe(
          403,
        );
        const from = marks();
        const res = await restJson(server.url, '/api/publish', {
          method: 'POST',
          token,
          body: { channel: 'tasks', payload: { task_id: 'marker-task', status: 'queued', progress: 0 } },
        });
        expect(res.status).toBe(403);
        await expectNothingDelivered('tasks', from.tasks!, 'nexus token');
      }
      // An unreserved name next to it is fine.
      expect(await TestClient.upgradeStatus(`${server.wsUrl}?token=${await tokenFor('nexus2')}`)).toBe(101);
    });
  });
});

describe('the task domain holds whatever the channel policy allows', () => {
  let server: TestServer;
  let dir: string;
  beforeAll(async () => {
    // A policy that lets agents publish everywhere, commands included.
    dir = mkdtempSync(join(tmpdir(), 'nexus-trust-'));
    const policy = join(dir, 'policy.json');
    writeFileSync(
      policy,
      JSON.stringify({
        roles: {
          agent: { subscribe: ['*'], publish: ['*'] },
          operator: { subscribe: ['*'], publish: ['*'] },
          viewer: { subscribe: ['*'], publish: [] },
        },
      }),
    );
    server = await startServer({ env: { NEXUS_POLICY: policy, NEXUS_TASK_CLAIM_TIMEOUT_S: '3600' } });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an agent allowed on commands by the policy still cannot create or cancel tasks (WebSocket and REST)', async () => {
    const ops = await pool.connect(server.wsUrl, await tokenFor('ops-p', 'operator'));
    const watcher = await pool.connect(server.wsUrl, await tokenFor('watch-p'));
    await watcher.subscribe('commands');
    await watcher.subscribe('tasks');
    const agent = await pool.connect(server.wsUrl, await agentToken('device-p', 'agent_p'));
    const mine = freshId('p-task');
    expect(
      await ops.publish('commands', { command: 'execute_task', task_id: mine, agent_id: 'agent_p' }),
    ).toMatchObject({ type: 'ack' });
    await waitForFrame(watcher, isTaskFrame(mine, 'queued'));
    const before = await listTasks(server);
    const from = watcher.frames.length;
    const attempts = [
      { command: 'execute_task', task_id: 'agent-made-p', agent_id: 'agent_p' },
      { command: 'cancel_task', task_id: mine },
    ];
    for (const payload of attempts) {
      const id = `p-${payload.command}`;
      expect(await agent.request({ action: 'publish', channel: 'commands', payload, id })).toMatchObject({
        type: 'error',
        code: 'forbidden',
        id,
      });
      const res = await restJson(server.url, '/api/publish', {
        method: 'POST',
        token: await agentToken('device-p', 'agent_p'),
        body: { channel: 'commands', payload },
      });
      expect(res.status, payload.command).toBe(403);
    }
    // A free channel is open to it under this policy: proves the refusals above came from the task domain.
    expect(await agent.publish('events', { ok: true })).toMatchObject({ type: 'ack' });
    const marker = freshId('p-marker');
    expect(
      await ops.publish('commands', { command: 'execute_task', task_id: marker, agent_id: 'nobody', marker }),
    ).toMatchObject({ type: 'ack' });
    await waitForMarker(watcher, 'commands', marker);
    await waitForFrame(watcher, isTaskFrame(marker, 'queued'), { from });
    expect(deliveriesSince(watcher, 'commands', from).map((f) => f.data)).toEqual([
      { command: 'execute_task', task_id: marker, agent_id: 'nobody', marker },
    ]);
    expect(deliveriesSince(watcher, 'tasks', from).map((f) => dataOf(f).task_id)).toEqual([marker]);
    const after = await listTasks(server);
    expect(after.filter((t) => t.task_id !== marker)).toEqual(before);
    expect(after.find((t) => t.task_id === mine)).toMatchObject({ status: 'queued' });
  });
});

describe('claim timeouts (NEXUS_TASK_CLAIM_TIMEOUT_S=1, one process)', () => {
  let server: TestServer;
  let ops: TestClient;
  let watcher: TestClient;

  beforeAll(async () => {
    server = await startServer({ env: { NEXUS_TASK_CLAIM_TIMEOUT_S: '1' } });
    ops = await TestClient.connect(server.wsUrl, await tokenFor('ops-t', 'operator'));
    watcher = await TestClient.connect(server.wsUrl, await tokenFor('watch-t'));
    await watcher.subscribe('tasks');
  });
  afterAll(async () => {
    await Promise.all([ops, watcher].map((c) => c?.close()));
    await server?.close();
  });

  const failures = (taskId: string) => watcher.frames.filter(isTaskFrame(taskId, 'failed'));

  it('a task nobody starts fails "no agent took the task" within ~3 s, announced once from nexus', async () => {
    const ghostTask = freshId('ghost-task');
    const openTask = freshId('unclaimed-task');
    const started = Date.now();
    expect(
      await ops.publish('commands', { command: 'execute_task', task_id: ghostTask, agent_id: 'ghost_agent' }),
    ).toMatchObject({ type: 'ack' });
    expect(await ops.publish('commands', { command: 'execute_task', task_id: openTask })).toMatchObject({
      type: 'ack',
    });
    expect(await taskOf(server, ghostTask)).toMatchObject({ status: 'queued' });
    for (const taskId of [ghostTask, openTask]) {
      const failed = await waitForFrame(watcher, isTaskFrame(taskId, 'failed'), { timeoutMs: 5000 });
      expect(Date.now() - started, taskId).toBeLessThan(3000);
      expect(failed).toMatchObject({
        type: 'broadcast',
        from: 'nexus',
        data: { task_id: taskId, status: 'failed', error: 'no agent took the task' },
      });
      expect(await taskOf(server, taskId)).toMatchObject({ status: 'failed', error: 'no agent took the task' });
    }
    // Several sweeps later: still exactly one failure each, and nothing moved.
    await sleep(1500);
    expect(failures(ghostTask)).toHaveLength(1);
    expect(failures(openTask)).toHaveLength(1);
    expect(await taskOf(server, ghostTask)).toMatchObject({ status: 'failed', agent_id: 'ghost_agent' });
  });

  it('a running task whose agent disconnects fails "agent lost"; one whose agent stays connected (and silent) keeps running', async () => {
    const lost = pool.track(await TestClient.connect(server.wsUrl, await agentToken('device-lost', 'agent_lost')));
    const quiet = pool.track(await TestClient.connect(server.wsUrl, await agentToken('device-quiet', 'agent_quiet')));
    const lostTask = freshId('lost-task');
    const quietTask = freshId('quiet-task');
    for (const [taskId, agentId] of [
      [lostTask, 'agent_lost'],
      [quietTask, 'agent_quiet'],
    ])
      expect(
        await ops.publish('commands', { command: 'execute_task', task_id: taskId, agent_id: agentId }),
      ).toMatchObject({ type: 'ack' });
    expect(await lost.publish('tasks', { task_id: lostTask, status: 'running', progress: 10 })).toMatchObject({
      type: 'ack',
    });
    expect(await quiet.publish('tasks', { task_id: quietTask, status: 'running', progress: 10 })).toMatchObject({
      type: 'ack',
    });
    const runningSince = Date.now();
    await lost.close();
    const closedAt = Date.now();
    const failed = await waitForFrame(watcher, isTaskFrame(lostTask, 'failed'), { timeoutMs: 6000 });
    expect(Date.now() - closedAt).toBeLessThan(4000);
    expect(failed).toMatchObject({
      type: 'broadcast',
      from: 'nexus',
      data: { task_id: lostTask, status: 'failed', error: 'agent lost', agent_id: 'agent_lost' },
    });
    expect(await taskOf(server, lostTask)).toMatchObject({ status: 'failed', error: 'agent lost' });
    // The connected agent's task outlives three timeouts.
    await sleep(Math.max(0, runningSince + 3500 - Date.now()));
    expect(await taskOf(server, quietTask)).toMatchObject({ status: 'running', progress: 10, agent_id: 'agent_quiet' });
    expect(failures(quietTask)).toEqual([]);
    expect(failures(lostTask)).toHaveLength(1);
    // ...and its agent can still finish it.
    expect(await quiet.publish('tasks', { task_id: quietTask, status: 'succeeded', progress: 100 })).toMatchObject({
      type: 'ack',
    });
    expect(await taskOf(server, quietTask)).toMatchObject({ status: 'succeeded' });
  });

  it('an unaddressed task claimed and run by a connected agent keeps running past the timeout', async () => {
    const agent = pool.track(await TestClient.connect(server.wsUrl, await agentToken('device-claim', 'agent_claim')));
    const taskId = freshId('claimed-task');
    expect(await ops.publish('commands', { command: 'execute_task', task_id: taskId })).toMatchObject({ type: 'ack' });
    expect(await agent.publish('tasks.claims', { task_id: taskId, agent_id: 'agent_claim' })).toMatchObject({
      type: 'ack',
    });
    // Its updates do not repeat its agent_id: the claim says whose task it is.
    expect(await agent.publish('tasks', { task_id: taskId, status: 'running', progress: 10 })).toMatchObject({
      type: 'ack',
    });
    await sleep(3500);
    expect(failures(taskId)).toEqual([]);
    expect(await taskOf(server, taskId)).toMatchObject({ status: 'running', progress: 10 });
  });
});
