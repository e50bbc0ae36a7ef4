/**
 * A process that starts after an agent went offline (with Redis, the agent's state is the
 * deployment's) evaluates the state rules from the states it loads: its agent_offline rule fires
 * for that agent without waiting for a change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restJson } from '../../helpers/assertions.js';
import { pollUntil } from '../../helpers/raw.js';
import { startRedis, type TestRedis } from '../../helpers/redis.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { signToken, tokenFor } from '../../helpers/tokens.js';
import { TestClient } from '../../helpers/ws-client.js';
import { about, listAlerts, rulesFile } from './alert-helpers.js';

let redis: TestRedis;
let late: TestServer | undefined;
const common = () => ({ NEXUS_REDIS_URL: redis.url, NEXUS_TELEMETRY_MAX_BYTES: '0' });

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await late?.close();
  await redis?.stop();
});

describe('a process started after an agent went offline', () => {
  it('fires agent_offline for it from the states it loads', async () => {
    const viewer = await tokenFor('late-viewer', 'viewer');
    const first = await startServer({ env: common() });
    try {
      const agent = await TestClient.connect(
        first.wsUrl,
        await signToken({ userId: 'lx_gone', role: 'agent', expiresInSeconds: 600 }),
      );
      const stateIs = (state: string) => async () =>
        ((await restJson(first.url, '/api/agents/lx_gone', { token: viewer })).body as { state?: string }).state ===
        state;
      expect(await pollUntil(stateIs('online'), 8000)).toBe(true);
      await agent.close();
      expect(await pollUntil(stateIs('offline'), 8000)).toBe(true);
      // No rule watched it while this process ran.
      expect(await listAlerts(first.url, viewer)).toEqual([]);
    } finally {
      await first.close();
    }
    const rules = [{ id: 'lx-gone', kind: 'agent_offline', for_s: 0, severity: 'critical', agents: ['lx_gone'] }];
    late = await startServer({ env: { ...common(), NEXUS_ALERT_RULES: rulesFile(rules) } });
    const fired = async () => (await listAlerts(late!.url, viewer)).filter(about('lx-gone', 'lx_gone', 'firing'));
    expect(await pollUntil(async () => (await fired()).length === 1, 8000, 100)).toBe(true);
  });
});
