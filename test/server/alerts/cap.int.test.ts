/**
 * The alerts kept are bounded: past 10,000 the oldest leave, in memory and in Redis. 10,050
 * agents break one rule at once (an operator may publish telemetry for any agent).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertLimits } from '@nexus-realtime/client/protocol';
import { startRedis, type TestRedis } from '../../helpers/redis.js';
import { pollUntil } from '../../helpers/raw.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { tokenFor } from '../../helpers/tokens.js';
import { TestClient } from '../../helpers/ws-client.js';
import { floodAgents, floodPolicyFile, listAlerts, rulesFile } from './alert-helpers.js';

let redis: TestRedis;
let viewer: string;

const start = (extra: Record<string, string> = {}) =>
  startServer({
    env: {
      ...extra,
      NEXUS_ALERT_RULES: rulesFile([{ id: 'load', metric: 'load', op: '>', value: 50, for_s: 0, severity: 'warning' }]),
      NEXUS_POLICY: floodPolicyFile(),
      // Nothing here needs rollups, and the agents must not go stale during the test.
      NEXUS_TELEMETRY_MAX_BYTES: '0',
      NEXUS_AGENT_SILENT_S: '600',
    },
  });

beforeAll(async () => {
  redis = await startRedis();
  viewer = await tokenFor('cap-viewer', 'viewer');
});
afterAll(async () => {
  await redis?.stop();
});

describe.each([
  ['in memory', () => start()],
  ['in Redis', () => start({ NEXUS_REDIS_URL: redis.url })],
])('alerts kept %s', (_where, open) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await open();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('are at most 10,000', async () => {
    const operator = await TestClient.connect(server.wsUrl, await tokenFor('cap-operator', 'operator'));
    try {
      await floodAgents(operator, 'cap_', AlertLimits.maxAlerts + 50, { load: 99 });
    } finally {
      await operator.close();
    }
    const full = await pollUntil(
      async () => (await listAlerts(server.url, viewer, '?limit=10000&state=firing')).length === AlertLimits.maxAlerts,
      15_000,
      250,
    );
    expect(full).toBe(true);
    const kept = await listAlerts(server.url, viewer, '?limit=10000');
    expect(kept).toHaveLength(AlertLimits.maxAlerts);
    expect(new Set(kept.map((a) => a.agent_id)).size).toBe(AlertLimits.maxAlerts);
  }, 20_000);
});
