/**
 * Alerts with two processes on one real Redis: rules are the deployment's (a PUT on one process
 * applies on the other), each alert is raised and resolved once however many processes evaluate
 * it (broadcasts counted on both), and an acknowledgement is seen everywhere.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Alert, AlertRule } from '@nexus-realtime/client/protocol';
import { clientPool, restJson } from '../../helpers/assertions.js';
import { pollUntil } from '../../helpers/raw.js';
import { startRedis, type TestRedis } from '../../helpers/redis.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { signToken, tokenFor } from '../../helpers/tokens.js';
import type { TestClient } from '../../helpers/ws-client.js';
import { about, alertFrames, feed, floodPolicyFile, listAlerts, waitForAlerts } from './alert-helpers.js';

const RULES: AlertRule[] = [
  { id: 'r-cpu', metric: 'cpu', op: '>=', value: 80, for_s: 1, severity: 'critical' },
  { id: 'r-failed', kind: 'task_failed', severity: 'warning' },
  { id: 'r-load', metric: 'load', op: '>', value: 50, for_s: 0, severity: 'warning', agents: [] },
];

let redis: TestRedis;
let a: TestServer;
let b: TestServer;
const tokens: Record<string, string> = {};
const pool = clientPool();
const agentToken = (agentId: string) => signToken({ userId: agentId, role: 'agent', expiresInSeconds: 600 });
const env = () => ({
  NEXUS_REDIS_URL: redis.url,
  NEXUS_AGENT_SILENT_S: '3',
  NEXUS_TELEMETRY_MAX_BYTES: '0',
  NEXUS_POLICY: floodPolicyFile(),
});

async function watchBoth(): Promise<TestClient[]> {
  const watchers = [
    await pool.connect(a.wsUrl, await tokenFor('rw-a', 'viewer')),
    await pool.connect(b.wsUrl, await tokenFor('rw-b', 'viewer')),
  ];
  for (const watcher of watchers) await watcher.subscribe('alerts');
  return watchers;
}

beforeAll(async () => {
  redis = await startRedis();
  a = await startServer({ env: env() });
  b = await startServer({ env: env() });
  for (const role of ['viewer', 'operator', 'admin']) tokens[role] = await tokenFor(`rx-${role}`, role);
});
afterEach(async () => {
  await pool.closeAll();
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await redis?.stop();
});

describe('alerts with Redis', () => {
  it('rules put on one process apply on the other', async () => {
    const put = await restJson(a.url, '/api/alerts/rules', { method: 'PUT', token: tokens.admin, body: RULES });
    expect(put.status).toBe(200);
    const rulesOnB = async () => (await restJson(b.url, '/api/alerts/rules', { token: tokens.viewer })).body;
    expect(await pollUntil(async () => JSON.stringify(await rulesOnB()) === JSON.stringify(RULES), 5000)).toBe(true);
  });

  it('two processes raise and resolve each alert once', async () => {
    await pollUntil(
      async () => ((await restJson(b.url, '/api/alerts/rules', { token: tokens.viewer })).body as []).length > 0,
      5000,
    );
    const watchers = await watchBoth();
    const agent = await pool.connect(a.wsUrl, await agentToken('rx_hot'));
    let cpu = 90;
    const stop = feed(agent, 'rx_hot', () => ({ cpu }));
    try {
      const fired = await Promise.all(watchers.map((w) => waitForAlerts(w, about('r-cpu', 'rx_hot', 'firing'))));
      cpu = 5;
      await Promise.all(watchers.map((w) => waitForAlerts(w, about('r-cpu', 'rx_hot', 'resolved'))));
      expect(fired[0]![0]!.id).toBe(fired[1]![0]!.id);
    } finally {
      await stop();
    }
    // Both processes evaluated every second: give a late duplicate time to show, then count.
    await pollUntil(() => false, 1500);
    for (const watcher of watchers) {
      await watcher.barrier();
      expect(alertFrames(watcher, about('r-cpu', 'rx_hot')).map((x) => x.state)).toEqual(['firing', 'resolved']);
    }
    for (const server of [a, b]) {
      const listed = (await listAlerts(server.url, tokens.viewer!)).filter(about('r-cpu', 'rx_hot'));
      expect(listed.map((x) => x.state)).toEqual(['resolved']);
    }
  });

  it('a failed task raises one alert; its acknowledgement on one process is seen on both', async () => {
    const watchers = await watchBoth();
    const operator = await pool.connect(b.wsUrl, tokens.operator!);
    const agent = await pool.connect(a.wsUrl, await agentToken('rx_worker'));
    await agent.subscribe('commands');
    await operator.publish('commands', { command: 'execute_task', task_id: 'rx_task', agent_id: 'rx_worker' });
    expect(await pollUntil(() => agent.frames.some((f) => f.channel === 'commands'), 5000)).toBe(true);
    await agent.publish('tasks', { task_id: 'rx_task', status: 'running', progress: 1 });
    await agent.publish('tasks', { task_id: 'rx_task', status: 'failed', progress: 1, error: 'boom' });
    const isTask = (x: Alert) => x.task_id === 'rx_task';
    const [fired] = await waitForAlerts(watchers[1]!, isTask);
    const acked = await restJson(b.url, `/api/alerts/${fired!.id}/ack`, { method: 'POST', token: tokens.operator });
    expect(acked).toMatchObject({ status: 200, body: { state: 'resolved', acknowledged_by: 'rx-operator' } });
    for (const watcher of watchers) {
      const frames = await waitForAlerts(watcher, isTask, 2);
      expect(frames.map((x) => x.state)).toEqual(['firing', 'resolved']);
      expect(frames[1]).toEqual(acked.body);
    }
    const onA = (await listAlerts(a.url, tokens.viewer!)).filter(isTask);
    expect(onA).toEqual([acked.body]);
  });
});
