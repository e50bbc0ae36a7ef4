import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  MAX_BUFFERED_HEADER,
  MISSING_PROCESSES_HEADER,
  type AdminChannel,
  type AdminConnection,
} from '@nexus-realtime/client/protocol';
import { restJson, uniqueChannel } from '../helpers/assertions.js';
import { ensureBuilt, spawnNode, stopAll, waitForListening } from '../helpers/node-process.js';
import { pollUntil } from '../helpers/raw.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { TEST_SECRET, tokenFor } from '../helpers/tokens.js';
import { TestClient } from '../helpers/ws-client.js';

const connectionsOf = async (server: TestServer, token: string, query = '') => {
  const response = await restJson(server.url, `/api/admin/connections${query}`, { token });
  expect(response.status).toBe(200);
  return {
    list: response.body as AdminConnection[],
    missing: response.headers.get(MISSING_PROCESSES_HEADER),
  };
};

describe('admin data plane routes (one process)', () => {
  let server: TestServer;
  let admin: string;
  beforeAll(async () => {
    server = await startServer({ env: { NEXUS_HEARTBEAT_MS: '200' } });
    admin = await tokenFor('root', 'admin');
  });
  afterAll(async () => {
    await server?.close();
  });

  it("shows a viewer's connection with its subscriptions, filters and growing counters; closes it with 4010 (the client comes back)", async () => {
    const channel = uniqueChannel('dp');
    const viewer = await TestClient.connect(server.wsUrl, await tokenFor('vera', 'viewer'));
    await viewer.subscribe(channel, { filters: { agent_id: 'agent_007' } });
    await viewer.subscribe('telemetry');
    const operator = await TestClient.connect(server.wsUrl, await tokenFor('otto', 'operator'));
    await operator.publish(channel, { agent_id: 'agent_007', n: 1 });
    await viewer.next((f) => f.type === 'message' && f.channel === channel);

    const { list } = await connectionsOf(server, admin, '?userId=vera');
    expect(list).toHaveLength(1);
    const first = list[0]!;
    expect(first).toMatchObject({
      userId: 'vera',
      role: 'viewer',
      process: server.broker.processId,
      remoteAddress: expect.stringContaining('127.0.0.1'),
      subscriptions: expect.arrayContaining([
        { channel, filters: { agent_id: 'agent_007' } },
        { channel: 'telemetry' },
      ]),
      bufferedBytes: expect.any(Number),
      dropped: 0,
    });
    expect(Date.parse(first.connectedAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(first.framesIn).toBe(2);
    expect(first.framesOut).toBeGreaterThanOrEqual(4);

    await operator.publish(channel, { agent_id: 'agent_007', n: 2 });
    await viewer.next((f) => f.type === 'message' && f.channel === channel && (f.data as { n: number }).n === 2);
    viewer.send({ action: 'ping', id: 'p1' });
    await viewer.next((f) => f.type === 'pong');
    // The heartbeat (200 ms) measures the round trip.
    expect(
      await pollUntil(
        async () => (await connectionsOf(server, admin, '?userId=vera')).list[0]?.rttMs !== undefined,
        3000,
      ),
    ).toBe(true);
    const second = (await connectionsOf(server, admin, '?userId=vera')).list[0]!;
    expect(second.framesIn).toBe(3);
    expect(second.framesOut).toBeGreaterThan(first.framesOut);
    expect(second.bytesOut).toBeGreaterThan(first.bytesOut);
    expect(second.bytesIn).toBeGreaterThan(first.bytesIn);

    const limit = await restJson(server.url, '/api/admin/connections', { token: admin });
    expect(limit.headers.get(MAX_BUFFERED_HEADER)).toBe(String(server.config.maxBufferedBytes));

    const byChannel = (await connectionsOf(server, admin, `?channel=${encodeURIComponent(channel)}`)).list;
    expect(byChannel.map((c) => c.userId)).toEqual(['vera']);

    const channels = await restJson(server.url, '/api/admin/channels', { token: admin });
    expect(channels.status).toBe(200);
    expect((channels.body as AdminChannel[]).find((c) => c.channel === channel)).toMatchObject({
      subscribers: 1,
      seq: 2,
      epoch: expect.any(String),
      historyMessages: 2,
      historyBytes: expect.any(Number),
      messagesPerSecond: expect.any(Number),
    });

    const closed = await restJson(server.url, `/api/admin/connections/${first.connectionId}/close`, {
      method: 'POST',
      token: admin,
    });
    expect(closed.status).toBe(202);
    expect(closed.body).toEqual({ connectionId: first.connectionId, code: 4010, reason: 'closed by admin' });
    expect(await viewer.closed).toEqual({ code: 4010, reason: 'closed by admin' });
    expect(
      await pollUntil(async () => (await connectionsOf(server, admin, '?userId=vera')).list.length === 0, 2000),
    ).toBe(true);
    await operator.close();
  });

  it('closes with the code and reason asked; refuses bad codes and unknown connections', async () => {
    const viewer = await TestClient.connect(server.wsUrl, await tokenFor('cody', 'viewer'));
    const [mine] = (await connectionsOf(server, admin, '?userId=cody')).list;
    const path = `/api/admin/connections/${mine!.connectionId}/close`;
    expect((await restJson(server.url, path, { method: 'POST', token: admin, body: { code: 1000 } })).status).toBe(400);
    expect(
      (await restJson(server.url, '/api/admin/connections/nope/close', { method: 'POST', token: admin })).status,
    ).toBe(404);
    const closed = await restJson(server.url, path, {
      method: 'POST',
      token: admin,
      body: { code: 4100, reason: 'bye' },
    });
    expect(closed.status).toBe(202);
    expect(await viewer.closed).toEqual({ code: 4100, reason: 'bye' });
  });

  it('closes with 4003 when the admin wants the client to stay away', async () => {
    const viewer = await TestClient.connect(server.wsUrl, await tokenFor('stay-away', 'viewer'));
    const [mine] = (await connectionsOf(server, admin, '?userId=stay-away')).list;
    const closed = await restJson(server.url, `/api/admin/connections/${mine!.connectionId}/close`, {
      method: 'POST',
      token: admin,
      body: { code: 4003 },
    });
    expect(closed.status).toBe(202);
    expect(await viewer.closed).toEqual({ code: 4003, reason: 'closed by admin' });
  });

  it('answers 403 to every other role and 401 without a token', async () => {
    for (const role of ['viewer', 'operator', 'agent']) {
      const token = await tokenFor(`u-${role}`, role);
      expect((await restJson(server.url, '/api/admin/connections', { token })).status).toBe(403);
      expect((await restJson(server.url, '/api/admin/channels', { token })).status).toBe(403);
      const close = await restJson(server.url, '/api/admin/connections/x/close', { method: 'POST', token });
      expect(close.status).toBe(403);
    }
    expect((await restJson(server.url, '/api/admin/connections')).status).toBe(401);
  });
});

describe('admin data plane routes across processes (Redis)', () => {
  let redis: TestRedis;
  let a: TestServer;
  let b: TestServer;
  let admin: string;
  beforeAll(async () => {
    redis = await startRedis();
    a = await startServer({ env: { NEXUS_REDIS_URL: redis.url } });
    b = await startServer({ env: { NEXUS_REDIS_URL: redis.url } });
    admin = await tokenFor('root', 'admin');
  });
  afterEach(() => stopAll('SIGKILL'));
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.stop();
  });

  it('lists the connections of both processes and closes one held by the other process', async () => {
    const channel = uniqueChannel('dp');
    const onA = await TestClient.connect(a.wsUrl, await tokenFor('alice', 'viewer'));
    const onB = await TestClient.connect(b.wsUrl, await tokenFor('bob', 'viewer'));
    await onB.subscribe(channel, { filters: { agent_id: 'agent_001' } });
    await onA.subscribe(channel);

    const listed = await pollUntil(async () => {
      const { list } = await connectionsOf(a, admin);
      return list.some((c) => c.userId === 'alice') && list.some((c) => c.userId === 'bob');
    }, 5000);
    expect(listed).toBe(true);
    const { list, missing } = await connectionsOf(a, admin);
    expect(missing).toBeNull();
    const bob = list.find((c) => c.userId === 'bob')!;
    expect(bob).toMatchObject({
      process: b.broker.processId,
      subscriptions: [{ channel, filters: { agent_id: 'agent_001' } }],
    });
    expect(list.find((c) => c.userId === 'alice')).toMatchObject({ process: a.broker.processId });
    expect((await connectionsOf(b, admin, `?channel=${channel}`)).list.map((c) => c.userId).sort()).toEqual([
      'alice',
      'bob',
    ]);

    const channels = await restJson(a.url, '/api/admin/channels', { token: admin });
    expect((channels.body as AdminChannel[]).find((c) => c.channel === channel)).toMatchObject({ subscribers: 2 });

    const closed = await restJson(a.url, `/api/admin/connections/${bob.connectionId}/close`, {
      method: 'POST',
      token: admin,
    });
    expect(closed.status).toBe(202);
    expect(await onB.closed).toEqual({ code: 4010, reason: 'closed by admin' });
    await onA.close();
  });

  it('finds the other process again after Redis restarts: lists and closes its connections', async () => {
    const onB = await TestClient.connect(b.wsUrl, await tokenFor('dave', 'viewer'));
    const seesDave = async () => {
      const { list, missing } = await connectionsOf(a, admin);
      return missing === null && list.some((c) => c.userId === 'dave' && c.process === b.broker.processId);
    };
    expect(await pollUntil(seesDave, 5000)).toBe(true);

    const onA = await TestClient.connect(a.wsUrl, await tokenFor('erin', 'viewer'));
    await redis.stop();
    // While Redis is down the admin still sees this process's connections, and which process is
    // missing from the answer.
    const during = await connectionsOf(a, admin);
    expect(during.list.map((c) => c.userId)).toContain('erin');
    expect(during.list.some((c) => c.userId === 'dave')).toBe(false);
    expect(during.missing).toContain(b.broker.processId);
    await redis.restart();

    // The request/reply channels are subscribed again and the presence set is rebuilt.
    expect(await pollUntil(seesDave, 15_000)).toBe(true);
    const dave = (await connectionsOf(a, admin)).list.find((c) => c.userId === 'dave')!;
    const closed = await restJson(a.url, `/api/admin/connections/${dave.connectionId}/close`, {
      method: 'POST',
      token: admin,
    });
    expect(closed.status).toBe(202);
    expect(await onB.closed).toEqual({ code: 4010, reason: 'closed by admin' });
    await onA.close();
  }, 60_000);

  it('names a process killed without warning while it is missing, then drops it within the timeout', async () => {
    ensureBuilt(['dist/server/main.js'], ['src/server', 'packages/client/src']);
    const child = spawnNode('dist/server/main.js', [], {
      PORT: '0',
      HOST: '127.0.0.1',
      NEXUS_JWT_SECRET: TEST_SECRET,
      NEXUS_REDIS_URL: redis.url,
    });
    const port = await waitForListening(child);
    const onChild = await TestClient.connect(`ws://127.0.0.1:${port}/ws`, await tokenFor('carol', 'viewer'));
    let carol: AdminConnection | undefined;
    await pollUntil(async () => {
      carol = (await connectionsOf(a, admin)).list.find((c) => c.userId === 'carol');
      return carol !== undefined;
    }, 5000);
    expect(carol).toBeDefined();

    child.process.kill('SIGKILL');
    await child.exited;
    const killedAt = Date.now();
    const answer = await connectionsOf(a, admin);
    // Right after the kill the process still counts as live: it is named, its connection absent.
    expect(answer.list.some((c) => c.userId === 'carol')).toBe(false);
    expect(answer.missing).toContain(carol!.process);
    const gone = await pollUntil(async () => {
      const { list, missing } = await connectionsOf(a, admin);
      return missing === null && !list.some((c) => c.process === carol!.process);
    }, 6000);
    expect(gone).toBe(true);
    expect(Date.now() - killedAt).toBeLessThan(6000);
    await onChild.closed;
  }, 150_000);
});
