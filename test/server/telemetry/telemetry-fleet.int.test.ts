/**
 * `telemetry.fleet` on a real server with its real clock: once per second a `broadcast` from
 * `nexus` with each metric's band and top agents, numbered like any channel's messages; and the
 * server's reserved channels, which no client may publish on (WebSocket or REST, admin or not,
 * whatever the policy file says) but anyone may subscribe to.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../../helpers/server.js';
import { tokenFor } from '../../helpers/tokens.js';
import { TestClient, type Frame } from '../../helpers/ws-client.js';

const RESERVED = ['telemetry.fleet', 'agents', 'alerts'];
let server: TestServer;

/** A policy that lets every role publish everywhere: the reserved channels must still refuse. */
function openPolicyFile(): string {
  const path = join(tmpdir(), `nexus-open-policy-${process.pid}.json`);
  const all = { subscribe: ['*'], publish: ['*'] };
  writeFileSync(path, JSON.stringify({ roles: { viewer: all, agent: all, operator: all, admin: all } }));
  return path;
}

beforeAll(async () => {
  server = await startServer({ env: { NEXUS_POLICY: openPolicyFile() } });
});
afterAll(() => server.close());

describe('telemetry.fleet', () => {
  it('is published once per second by nexus, with each metric band and the top 8 agents by latest value', async () => {
    const viewer = await TestClient.connect(server.wsUrl, await tokenFor('fleet-viewer', 'viewer'));
    expect((await viewer.subscribe('telemetry.fleet')).type).toBe('subscribed');
    const agents = await Promise.all(
      Array.from({ length: 10 }, async (_, i) =>
        TestClient.connect(server.wsUrl, await tokenFor(`fleet_${i}`, 'agent')),
      ),
    );
    const started = Date.now();
    // Each agent reports every 250 ms for 3.2 s: the latest value of agent i is 10 * i + round.
    for (let round = 0; Date.now() - started < 3200; round++) {
      await Promise.all(
        agents.map((agent, i) => agent.publish('telemetry', { agent_id: `fleet_${i}`, cpu: 10 * i + round, mem: 1 })),
      );
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const fleet = (await collect(viewer, 1.5, 3000)).filter((f) => f.type === 'broadcast');
    expect(fleet.length).toBeGreaterThanOrEqual(3);
    const times = fleet.map((f) => (f.data as { t: number }).t);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBe(1000); // one per second, none twice
    for (const frame of fleet) {
      expect(frame).toMatchObject({ channel: 'telemetry.fleet', from: 'nexus' });
      expect(typeof frame.seq).toBe('number');
      const { cpu, mem } = (frame.data as { metrics: Record<string, Summary> }).metrics;
      expect(cpu).toMatchObject({ agents: 10 });
      expect(cpu!.min).toBeLessThan(cpu!.median);
      expect(cpu!.median).toBeLessThan(cpu!.max);
      expect(cpu!.top.map((a) => a.agent_id)).toEqual([9, 8, 7, 6, 5, 4, 3, 2].map((i) => `fleet_${i}`));
      // Values only grow: an agent's latest is at least its average, and the top is highest first.
      expect(cpu!.top[0]!.value).toBeGreaterThanOrEqual(cpu!.max);
      const values = cpu!.top.map((a) => a.value);
      expect(values).toEqual([...values].sort((a, b) => b - a));
      expect(mem).toMatchObject({ min: 1, median: 1, max: 1, agents: 10 });
      expect(mem!.top).toHaveLength(8);
    }
    const seqs = fleet.map((f) => f.seq as number);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    // It has history like any channel.
    const history = await fetch(`${server.url}/api/channels/telemetry.fleet/history`, {
      headers: { authorization: `Bearer ${await tokenFor('fleet-viewer', 'viewer')}` },
    });
    expect(((await history.json()) as { messages: unknown[] }).messages.length).toBeGreaterThanOrEqual(fleet.length);
    await Promise.all([viewer, ...agents].map((c) => c.close()));
  });
});

interface Summary {
  min: number;
  median: number;
  max: number;
  agents: number;
  top: { agent_id: string; value: number }[];
}

/** The `telemetry.fleet` frames received once `quietS` passes with no new one (or `limitMs`). */
async function collect(client: TestClient, quietS: number, limitMs: number): Promise<Frame[]> {
  const deadline = Date.now() + limitMs;
  let seen = -1;
  while (Date.now() < deadline) {
    const count = client.frames.filter((f) => f.channel === 'telemetry.fleet').length;
    if (count === seen) break;
    seen = count;
    await new Promise((resolve) => setTimeout(resolve, quietS * 1000));
  }
  return client.frames.filter((f) => f.channel === 'telemetry.fleet');
}

describe('reserved channels', () => {
  it('refuse every publish over WebSocket with forbidden, an admin too, whatever the policy file says', async () => {
    for (const role of ['admin', 'operator', 'agent', 'viewer']) {
      const client = await TestClient.connect(server.wsUrl, await tokenFor(`reserved-${role}`, role));
      for (const channel of RESERVED) {
        expect((await client.subscribe(channel)).type).toBe('subscribed');
        const reply = await client.publish(channel, { forged: true, t: 1, metrics: {} });
        expect(reply, `${role} on ${channel}`).toMatchObject({ type: 'error', code: 'forbidden' });
      }
      await client.barrier();
      // The server's own frames (agent state changes of earlier tests' agents) may arrive
      // here; none of the forged payloads may.
      const delivered = client.frames.filter((f) => f.type === 'message' || f.type === 'broadcast');
      expect(delivered.filter((f) => JSON.stringify(f).includes('"forged"'))).toEqual([]);
      expect(delivered.every((f) => (f as { from?: string }).from === 'nexus')).toBe(true);
      await client.close();
    }
  });

  it('refuse every REST publish with 403 forbidden, an admin too', async () => {
    const token = await tokenFor('reserved-rest-admin', 'admin');
    for (const channel of RESERVED) {
      const response = await fetch(`${server.url}/api/publish`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ channel, payload: { forged: true } }),
      });
      expect(response.status, channel).toBe(403);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    }
  });
});
