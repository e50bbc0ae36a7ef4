/**
 * `NEXUS_TELEMETRY_MAX_BYTES=0`: no rollups (the baseline the benchmarks compare against): the
 * metrics list is empty, every metric is unknown, and no `telemetry.fleet` message is published,
 * while telemetry itself flows as usual. A bad value stops the start with a line naming it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/server/config.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { tokenFor } from '../../helpers/tokens.js';
import { sleep, TestClient } from '../../helpers/ws-client.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ env: { NEXUS_TELEMETRY_MAX_BYTES: '0' } });
});
afterAll(() => server.close());

describe('rollups off', () => {
  it('keeps no rollups and publishes no telemetry.fleet, while telemetry flows', async () => {
    const viewer = await TestClient.connect(server.wsUrl, await tokenFor('off-viewer', 'viewer'));
    await viewer.subscribe('telemetry.fleet');
    await viewer.subscribe('telemetry');
    const agent = await TestClient.connect(server.wsUrl, await tokenFor('off_agent', 'agent'));
    for (let i = 0; i < 3; i++) {
      expect((await agent.publish('telemetry', { agent_id: 'off_agent', cpu_usage: i })).type).toBe('ack');
      await sleep(600);
    }
    await viewer.barrier();
    expect(viewer.frames.filter((f) => f.channel === 'telemetry' && f.type === 'message')).toHaveLength(3);
    expect(viewer.frames.filter((f) => f.channel === 'telemetry.fleet' && f.type !== 'subscribed')).toEqual([]);
    const headers = { authorization: `Bearer ${await tokenFor('off-viewer', 'viewer')}` };
    expect(await (await fetch(`${server.url}/api/telemetry/metrics`, { headers })).json()).toEqual([]);
    expect((await fetch(`${server.url}/api/telemetry?metric=cpu_usage`, { headers })).status).toBe(404);
    await Promise.all([viewer.close(), agent.close()]);
  });

  it('refuses a bad NEXUS_TELEMETRY_MAX_BYTES at start, naming it', () => {
    for (const value of ['-1', 'lots', '1.5'])
      expect(() => loadConfig({ NEXUS_TELEMETRY_MAX_BYTES: value })).toThrow(/NEXUS_TELEMETRY_MAX_BYTES/);
    expect(loadConfig({}).telemetryMaxBytes).toBe(134_217_728);
  });
});
