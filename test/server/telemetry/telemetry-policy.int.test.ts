/**
 * `GET /api/telemetry` follows the subscribe policy of `telemetry`: a role that may not subscribe
 * to it may not read its rollups either (403), while the list of metric names needs only a token.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../../helpers/server.js';
import { tokenFor } from '../../helpers/tokens.js';
import { TestClient } from '../../helpers/ws-client.js';

let server: TestServer;
beforeAll(async () => {
  const path = join(tmpdir(), `nexus-no-telemetry-policy-${process.pid}.json`);
  const roles = {
    viewer: { subscribe: ['*', '!telemetry'], publish: [] },
    agent: { subscribe: ['*'], publish: ['*', '!commands'] },
  };
  writeFileSync(path, JSON.stringify({ roles }));
  server = await startServer({ env: { NEXUS_POLICY: path } });
});
afterAll(() => server.close());

describe('GET /api/telemetry and the policy', () => {
  it('answers 403 to a role that may not subscribe to telemetry, and the metrics list to anyone with a token', async () => {
    const agent = await TestClient.connect(server.wsUrl, await tokenFor('policy_agent', 'agent'));
    expect((await agent.publish('telemetry', { agent_id: 'policy_agent', cpu_usage: 1 })).type).toBe('ack');
    const viewer = { authorization: `Bearer ${await tokenFor('policy-viewer', 'viewer')}` };
    const refused = await fetch(`${server.url}/api/telemetry?metric=cpu_usage`, { headers: viewer });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    const agentHeaders = { authorization: `Bearer ${await tokenFor('policy_agent', 'agent')}` };
    expect((await fetch(`${server.url}/api/telemetry?metric=cpu_usage`, { headers: agentHeaders })).status).toBe(200);
    const metrics = await fetch(`${server.url}/api/telemetry/metrics`, { headers: viewer });
    expect(await metrics.json()).toEqual([{ metric: 'cpu_usage', agents: 1 }]);
    await agent.close();
  });
});
