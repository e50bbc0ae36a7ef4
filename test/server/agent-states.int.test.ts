/**
 * Agent states on one process: a connection with an agent's identity makes it `online`, no
 * telemetry for NEXUS_AGENT_SILENT_S makes it `silent`, telemetry brings it back, the last
 * connection closing makes it `offline`. Each change is one broadcast from `nexus` on `agents`;
 * `GET /api/agents` lists state and since, `GET /api/agents/:agent_id` adds 24 h of changes and
 * (admins only) the agent's connections.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentDetail, AgentListing } from '@nexus-realtime/client/protocol';
import { ISO_8601, restJson } from '../helpers/assertions.js';
import { pollUntil } from '../helpers/raw.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { signToken, tokenFor } from '../helpers/tokens.js';
import { TestClient, type Frame } from '../helpers/ws-client.js';

const SILENT_S = 2;
let server: TestServer;
let watcher: TestClient;
let operator: string;

const agentToken = (agentId: string) => signToken({ userId: agentId, role: 'agent', expiresInSeconds: 600 });
const changesOf = (agentId: string) =>
  watcher.frames.filter(
    (f) => f.type === 'broadcast' && f.channel === 'agents' && (f.data as { agent_id?: string }).agent_id === agentId,
  );
const statesOf = (agentId: string) => changesOf(agentId).map((f) => (f.data as { state: string }).state);
const listed = async (agentId: string) =>
  ((await restJson(server.url, '/api/agents', { token: operator })).body as AgentListing[]).find(
    (a) => a.agent_id === agentId,
  );

async function waitForStates(agentId: string, states: string[], timeoutMs = 8000): Promise<void> {
  const reached = await pollUntil(() => statesOf(agentId).length >= states.length, timeoutMs);
  expect(reached, `states of ${agentId}: ${statesOf(agentId).join(',')}`).toBe(true);
  expect(statesOf(agentId)).toEqual(states);
}

beforeAll(async () => {
  server = await startServer({ env: { NEXUS_AGENT_SILENT_S: String(SILENT_S) } });
  operator = await tokenFor('states-operator', 'operator');
  watcher = await TestClient.connect(server.wsUrl, await tokenFor('states-watcher', 'viewer'));
  await watcher.subscribe('agents');
});
afterAll(async () => {
  await watcher?.close();
  await server?.close();
});

describe('agent states on one process', () => {
  it('online on connect, silent without telemetry, online again with it, offline when gone: each change once', async () => {
    const agent = await TestClient.connect(server.wsUrl, await agentToken('st_walk'));
    await waitForStates('st_walk', ['online']);
    const [online] = changesOf('st_walk') as [Frame];
    expect(online).toMatchObject({
      type: 'broadcast',
      from: 'nexus',
      data: { agent_id: 'st_walk', state: 'online', previous: 'offline', since: expect.stringMatching(ISO_8601) },
    });
    expect(await listed('st_walk')).toMatchObject({ state: 'online', online: true, latest: {} });

    // No telemetry for NEXUS_AGENT_SILENT_S: silent, since when the silence reached that length.
    await waitForStates('st_walk', ['online', 'silent'], SILENT_S * 1000 + 5000);
    const silent = changesOf('st_walk')[1]!.data as { since: string; previous: string };
    expect(silent.previous).toBe('online');
    const onlineSince = Date.parse((online.data as { since: string }).since);
    expect(Date.parse(silent.since) - onlineSince).toBeGreaterThanOrEqual(SILENT_S * 1000);
    expect(await listed('st_walk')).toMatchObject({ state: 'silent', online: false, since: silent.since });

    await agent.publish('telemetry', { agent_id: 'st_walk', cpu: 5 });
    await waitForStates('st_walk', ['online', 'silent', 'online']);
    expect(await listed('st_walk')).toMatchObject({ state: 'online', online: true, latest: { cpu: 5 } });

    await agent.close();
    await waitForStates('st_walk', ['online', 'silent', 'online', 'offline']);
    const offline = await listed('st_walk');
    expect(offline).toMatchObject({ state: 'offline', online: false, latest: { cpu: 5 } });
    // Nothing more comes: each change was published once.
    await watcher.barrier();
    expect(statesOf('st_walk')).toEqual(['online', 'silent', 'online', 'offline']);
  }, 30_000);

  it('an agent with two connections stays online until the last one closes', async () => {
    const tabs = [
      await TestClient.connect(server.wsUrl, await agentToken('st_two')),
      await TestClient.connect(server.wsUrl, await agentToken('st_two')),
    ];
    await waitForStates('st_two', ['online']);
    await tabs[0]!.close();
    await tabs[1]!.publish('telemetry', { agent_id: 'st_two', cpu: 1 });
    await watcher.barrier();
    expect(statesOf('st_two')).toEqual(['online']);
    await tabs[1]!.close();
    await waitForStates('st_two', ['online', 'offline']);
  });

  it('300 agents dropping at once: every change published once, none lost (they go out over several turns)', async () => {
    const ids = Array.from({ length: 300 }, (_, i) => `st_drop_${i}`);
    const agents = await Promise.all(ids.map(async (id) => TestClient.connect(server.wsUrl, await agentToken(id))));
    expect(await pollUntil(() => ids.every((id) => statesOf(id).length === 1), 15_000)).toBe(true);
    // Dropped, not closed politely: the sockets go at once, as when a rack loses power.
    for (const agent of agents) agent.socket.terminate();
    const allOffline = await pollUntil(() => ids.every((id) => statesOf(id).length >= 2), 15_000);
    expect(allOffline, `${ids.filter((id) => statesOf(id).length < 2).length} agents without offline`).toBe(true);
    await watcher.barrier();
    for (const id of ids) expect(statesOf(id), id).toEqual(['online', 'offline']);
    expect(await listed('st_drop_299')).toMatchObject({ state: 'offline', online: false });
  }, 40_000);

  it('GET /api/agents/:agent_id: the state changes of the last 24 h; connections for admins only; 404 unknown', async () => {
    const agent = await TestClient.connect(server.wsUrl, await agentToken('st_detail'));
    await waitForStates('st_detail', ['online']);
    const asOperator = await restJson(server.url, '/api/agents/st_detail', { token: operator });
    expect(asOperator.status).toBe(200);
    const detail = asOperator.body as AgentDetail;
    expect(detail).toMatchObject({ agent_id: 'st_detail', state: 'online', online: true });
    expect(detail.states).toEqual([{ state: 'online', since: detail.since }]);
    expect(detail).not.toHaveProperty('connections');

    const admin = await tokenFor('states-admin', 'admin');
    const asAdmin = (await restJson(server.url, '/api/agents/st_detail', { token: admin })).body as AgentDetail;
    expect(asAdmin.connections).toHaveLength(1);
    expect(asAdmin.connections![0]).toMatchObject({
      userId: 'st_detail',
      connectedAt: expect.stringMatching(ISO_8601),
    });

    await agent.close();
    await waitForStates('st_detail', ['online', 'offline']);
    const after = (await restJson(server.url, '/api/agents/st_detail', { token: operator })).body as AgentDetail;
    expect(after.states.map((s) => s.state)).toEqual(['online', 'offline']);

    const unknown = await restJson(server.url, '/api/agents/nobody_here', { token: operator });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error: { code: 'not_found' } });
    expect((await restJson(server.url, '/api/agents/st_detail')).status).toBe(401);
  });

  it('?state= keeps one state', async () => {
    const agent = await TestClient.connect(server.wsUrl, await agentToken('st_filter'));
    await waitForStates('st_filter', ['online']);
    const online = (await restJson(server.url, '/api/agents?state=online', { token: operator })).body as AgentListing[];
    expect(online.map((a) => a.agent_id)).toContain('st_filter');
    expect(online.every((a) => a.state === 'online' && a.online)).toBe(true);
    const offline = (await restJson(server.url, '/api/agents?state=offline', { token: operator }))
      .body as AgentListing[];
    expect(offline.map((a) => a.agent_id)).toContain('st_walk');
    expect(offline.map((a) => a.agent_id)).not.toContain('st_filter');
    await agent.close();
  });

  it('nobody may publish on agents, whatever the role', async () => {
    const admin = await TestClient.connect(server.wsUrl, await tokenFor('states-admin-2', 'admin'));
    const answer = await admin.publish('agents', { agent_id: 'st_fake', state: 'online' });
    expect(answer).toMatchObject({ type: 'error', code: 'forbidden' });
    await admin.close();
    expect(statesOf('st_fake')).toEqual([]);
  });
});
