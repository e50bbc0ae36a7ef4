/**
 * Agent states and channel presence across processes on one real Redis: two in-process servers
 * and a third, real process (`node dist/server/main.js`) that is SIGKILLed. Each agent state
 * change is published once for the deployment, whichever process holds the agent; the killed
 * process's agents go offline within NEXUS_AGENT_SILENT_S, and its users leave the channels they
 * were on; presence is summed over processes, one join and one leave per user.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AgentDetail, AgentListing, PresenceEntry } from '@nexus-realtime/client/protocol';
import { clientPool, restJson, uniqueChannel } from '../../helpers/assertions.js';
import { ensureBuilt, spawnNode, stopAll, waitForListening } from '../../helpers/node-process.js';
import { pollUntil } from '../../helpers/raw.js';
import { startRedis, type TestRedis } from '../../helpers/redis.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { TEST_SECRET, signToken, tokenFor } from '../../helpers/tokens.js';
import type { TestClient } from '../../helpers/ws-client.js';

const SILENT_S = 4;
/** The leave grace (domain/channel-presence.ts) and slack for a loaded machine. */
const LEAVE_WAIT_MS = 3_000 + 6_000;

let redis: TestRedis;
let a: TestServer;
let b: TestServer;
let operator: string;
const pool = clientPool();

const agentToken = (agentId: string) => signToken({ userId: agentId, role: 'agent', expiresInSeconds: 600 });
// Rollups off: nothing here reads them, and they would only add work to a loaded machine.
const env = () => ({
  NEXUS_REDIS_URL: redis.url,
  NEXUS_AGENT_SILENT_S: String(SILENT_S),
  NEXUS_TELEMETRY_MAX_BYTES: '0',
});

function statesOf(watcher: TestClient, agentId: string): string[] {
  return watcher.frames
    .filter((f) => f.type === 'broadcast' && f.channel === 'agents')
    .map((f) => f.data as { agent_id: string; state: string })
    .filter((d) => d.agent_id === agentId)
    .map((d) => d.state);
}

async function expectStates(watchers: TestClient[], agentId: string, states: string[], timeoutMs = 8000) {
  const reached = await pollUntil(() => watchers.every((w) => statesOf(w, agentId).length >= states.length), timeoutMs);
  expect(reached, `${agentId}: ${watchers.map((w) => statesOf(w, agentId).join(',')).join(' | ')}`).toBe(true);
  for (const watcher of watchers) expect(statesOf(watcher, agentId)).toEqual(states);
}

async function watchAgents(): Promise<TestClient[]> {
  const watchers = [
    await pool.connect(a.wsUrl, await tokenFor('watch-a', 'viewer')),
    await pool.connect(b.wsUrl, await tokenFor('watch-b', 'viewer')),
  ];
  for (const watcher of watchers) await watcher.subscribe('agents');
  return watchers;
}

const listedOn = async (server: { url: string }, agentId: string) =>
  ((await restJson(server.url, '/api/agents', { token: operator })).body as AgentListing[]).find(
    (x) => x.agent_id === agentId,
  );
const presenceOn = async (server: { url: string }, channel: string) =>
  ((await restJson(server.url, `/api/channels/${channel}/presence`, { token: operator })).body as PresenceEntry[]).sort(
    (x, y) => x.userId.localeCompare(y.userId),
  );

beforeAll(async () => {
  redis = await startRedis();
  a = await startServer({ env: env() });
  b = await startServer({ env: env() });
  operator = await tokenFor('ap-operator', 'operator');
});
afterEach(async () => {
  stopAll('SIGKILL');
  await pool.closeAll();
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await redis?.stop();
});

describe('agent states with Redis', () => {
  it('each change is published once for the deployment, whichever process holds the agent', async () => {
    const watchers = await watchAgents();
    const onA = await pool.connect(a.wsUrl, await agentToken('rx_one'));
    await expectStates(watchers, 'rx_one', ['online']);
    // A second connection on the other process, then the first closes: still online.
    const onB = await pool.connect(b.wsUrl, await agentToken('rx_one'));
    await onA.close();
    await onB.publish('telemetry', { agent_id: 'rx_one', cpu: 3 });
    expect(await pollUntil(async () => (await listedOn(a, 'rx_one'))?.latest.cpu === 3, 5000)).toBe(true);
    for (const watcher of watchers) await watcher.barrier();
    expect(statesOf(watchers[0]!, 'rx_one')).toEqual(['online']);
    // Its telemetry stops: silent, once.
    await expectStates(watchers, 'rx_one', ['online', 'silent'], SILENT_S * 1000 + 6000);
    await onB.publish('telemetry', { agent_id: 'rx_one', cpu: 4 });
    await expectStates(watchers, 'rx_one', ['online', 'silent', 'online']);
    await onB.close();
    await expectStates(watchers, 'rx_one', ['online', 'silent', 'online', 'offline']);
    for (const server of [a, b])
      expect(await listedOn(server, 'rx_one')).toMatchObject({ state: 'offline', online: false });
    const detail = (await restJson(b.url, '/api/agents/rx_one', { token: operator })).body as AgentDetail;
    expect(detail.states.map((s) => s.state)).toEqual(['online', 'silent', 'online', 'offline']);
  }, 40_000);

  it('a process started later knows every agent state', async () => {
    const watchers = await watchAgents();
    await pool.connect(a.wsUrl, await agentToken('rx_late'));
    await expectStates(watchers, 'rx_late', ['online']);
    const late = await startServer({ env: env() });
    try {
      expect(await pollUntil(async () => (await listedOn(late, 'rx_late'))?.state === 'online', 5000)).toBe(true);
    } finally {
      await late.close();
    }
  });
});

describe('a SIGKILLed process', () => {
  beforeAll(() => ensureBuilt(['dist/server/main.js'], ['src/server', 'packages/client/src']), 180_000);

  it('has its agents declared offline once, within NEXUS_AGENT_SILENT_S, and its users leave the channels', async () => {
    const child = spawnNode('dist/server/main.js', [], {
      PORT: '0',
      HOST: '127.0.0.1',
      NEXUS_JWT_SECRET: TEST_SECRET,
      LOG_LEVEL: 'info',
      ...env(),
    });
    const port = await waitForListening(child, 15_000);
    const childWs = `ws://127.0.0.1:${port}/ws`;
    const watchers = await watchAgents();
    const channel = uniqueChannel('ap.kill');
    const listeners = [
      await pool.connect(a.wsUrl, await tokenFor('ap-listen-a', 'viewer')),
      await pool.connect(b.wsUrl, await tokenFor('ap-listen-b', 'viewer')),
    ];
    for (const listener of listeners) await listener.subscribe(channel, { presence: true });

    const agent = await pool.connect(childWs, await agentToken('rx_killed'));
    const user = await pool.connect(childWs, await tokenFor('ap-victim', 'viewer'));
    await user.subscribe(channel);
    await expectStates(watchers, 'rx_killed', ['online']);
    for (const listener of listeners)
      await listener.next((f) => f.type === 'presence' && f.userId === 'ap-victim' && f.event === 'join', 8000);
    expect((await presenceOn(a, channel)).map((u) => u.userId)).toContain('ap-victim');

    const killedAt = Date.now();
    child.process.kill('SIGKILL');
    await child.exited;
    await expectStates(watchers, 'rx_killed', ['online', 'offline'], SILENT_S * 1000 + 4000);
    const offlineAt = Date.now();
    // Declared within NEXUS_AGENT_SILENT_S (plus what a loaded machine adds to delivery).
    expect(offlineAt - killedAt).toBeLessThan(SILENT_S * 1000 + 1000);
    for (const listener of listeners)
      await listener.next(
        (f) => f.type === 'presence' && f.userId === 'ap-victim' && f.event === 'leave',
        LEAVE_WAIT_MS,
      );
    for (const server of [a, b]) {
      expect((await presenceOn(server, channel)).map((u) => u.userId)).not.toContain('ap-victim');
      expect(await listedOn(server, 'rx_killed')).toMatchObject({ state: 'offline' });
    }
    for (const watcher of watchers) await watcher.barrier();
    expect(statesOf(watchers[0]!, 'rx_killed')).toEqual(['online', 'offline']);
    expect(statesOf(watchers[1]!, 'rx_killed')).toEqual(['online', 'offline']);
    void agent;
  }, 60_000);
});

describe('channel presence with Redis', () => {
  it('sums a user over processes: one join, one leave, on every process', async () => {
    const channel = uniqueChannel('ap.tabs');
    const listeners = [
      await pool.connect(a.wsUrl, await tokenFor('ap-la', 'viewer')),
      await pool.connect(b.wsUrl, await tokenFor('ap-lb', 'viewer')),
    ];
    for (const listener of listeners) await listener.subscribe(channel, { presence: true });
    const token = await tokenFor('ap-tabs', 'operator');
    const tabs = [await pool.connect(a.wsUrl, token), await pool.connect(b.wsUrl, token)];
    for (const tab of tabs) await tab.subscribe(channel);
    for (const listener of listeners)
      await listener.next((f) => f.type === 'presence' && f.userId === 'ap-tabs' && f.event === 'join', 8000);
    const summed = async () => (await presenceOn(a, channel)).find((u) => u.userId === 'ap-tabs')?.connections;
    expect(await pollUntil(async () => (await summed()) === 2, 5000)).toBe(true);
    expect((await presenceOn(b, channel)).map((u) => [u.userId, u.connections])).toEqual([
      ['ap-la', 1],
      ['ap-lb', 1],
      ['ap-tabs', 2],
    ]);

    await tabs[0]!.close();
    expect(await pollUntil(async () => (await summed()) === 1, 5000)).toBe(true);
    await tabs[1]!.close();
    for (const listener of listeners)
      await listener.next((f) => f.type === 'presence' && f.userId === 'ap-tabs' && f.event === 'leave', LEAVE_WAIT_MS);
    for (const listener of listeners) {
      await listener.barrier();
      const seen = listener.frames.filter((f) => f.type === 'presence' && f.userId === 'ap-tabs').map((f) => f.event);
      expect(seen).toEqual(['join', 'leave']);
    }
  }, 40_000);
});
