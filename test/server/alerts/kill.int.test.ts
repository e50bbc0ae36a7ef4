/**
 * A process SIGKILLed while an alert it raised is firing: nothing is lost or raised twice. A real
 * process (`node dist/server/main.js`) started with NEXUS_ALERT_RULES sets the deployment's rules
 * in Redis and raises an alert; an in-process server started after it (without the file) takes
 * the stored rules and learns the open alert; the first is killed; the second, fed by the agent
 * that moved to it, resolves that same alert, once, and never raises it again.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AlertRule } from '@nexus-realtime/client/protocol';
import { clientPool, restJson } from '../../helpers/assertions.js';
import { ensureBuilt, spawnNode, stopAll, waitForListening } from '../../helpers/node-process.js';
import { pollUntil } from '../../helpers/raw.js';
import { startRedis, type TestRedis } from '../../helpers/redis.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { TEST_SECRET, signToken, tokenFor } from '../../helpers/tokens.js';
import { about, alertFrames, feed, listAlerts, rulesFile, waitForAlerts } from './alert-helpers.js';

const RULES: AlertRule[] = [{ id: 'k-cpu', metric: 'cpu', op: '>', value: 80, for_s: 1, severity: 'critical' }];
const common = { NEXUS_AGENT_SILENT_S: '3', NEXUS_TELEMETRY_MAX_BYTES: '0' };

let redis: TestRedis;
let survivor: TestServer | undefined;
const pool = clientPool();
const agentToken = () => signToken({ userId: 'kx_agent', role: 'agent', expiresInSeconds: 600 });

beforeAll(async () => {
  ensureBuilt(['dist/server/main.js'], ['src/server', 'packages/client/src']);
  redis = await startRedis();
}, 180_000);
afterEach(async () => {
  stopAll('SIGKILL');
  await pool.closeAll();
});
afterAll(async () => {
  await survivor?.close();
  await redis?.stop();
});

describe('a process killed while its alert fires', () => {
  it('leaves it to the others: resolved once, never raised twice', async () => {
    const doomed = spawnNode('dist/server/main.js', [], {
      ...common,
      PORT: '0',
      NEXUS_REDIS_URL: redis.url,
      NEXUS_JWT_SECRET: TEST_SECRET,
      NEXUS_ALERT_RULES: rulesFile(RULES),
    });
    const port = await waitForListening(doomed);
    const doomedWs = `ws://127.0.0.1:${port}/ws`;
    const viewer = await tokenFor('kx-viewer', 'viewer');
    const early = await pool.connect(doomedWs, viewer);
    await early.subscribe('alerts');
    const agentThere = await pool.connect(doomedWs, await agentToken());
    const stopThere = feed(agentThere, 'kx_agent', () => ({ cpu: 95 }));
    const [fired] = await waitForAlerts(early, about('k-cpu', 'kx_agent', 'firing'));

    // The file set the deployment's rules: a process started without it follows them.
    survivor = await startServer({ env: { ...common, NEXUS_REDIS_URL: redis.url } });
    const rulesThere = async () => (await restJson(survivor!.url, '/api/alerts/rules', { token: viewer })).body;
    expect(await pollUntil(async () => JSON.stringify(await rulesThere()) === JSON.stringify(RULES), 5000)).toBe(true);
    const watcher = await pool.connect(survivor.wsUrl, viewer);
    await watcher.subscribe('alerts');
    // The survivor sees the same values through Redis for a while: it holds the alert as firing too.
    await pollUntil(() => false, 2000);

    doomed.process.kill('SIGKILL');
    await doomed.exited;
    await stopThere();
    const agentHere = await pool.connect(survivor.wsUrl, await agentToken());
    const stopHere = feed(agentHere, 'kx_agent', () => ({ cpu: 10 }));
    try {
      const [resolved] = await waitForAlerts(watcher, about('k-cpu', 'kx_agent', 'resolved'));
      expect(resolved).toMatchObject({ id: fired!.id, started_at: fired!.started_at, state: 'resolved' });
    } finally {
      await stopHere();
    }
    await watcher.barrier();
    expect(alertFrames(watcher, about('k-cpu', 'kx_agent')).map((a) => [a.id, a.state])).toEqual([
      [fired!.id, 'resolved'],
    ]);
    const kept = (await listAlerts(survivor.url, viewer)).filter(about('k-cpu', 'kx_agent'));
    expect(kept.map((a) => [a.id, a.state])).toEqual([[fired!.id, 'resolved']]);
  }, 20_000);
});
