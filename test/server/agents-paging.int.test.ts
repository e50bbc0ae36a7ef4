/**
 * `GET /api/agents` paging for large fleets: `?limit=`/`?offset=` pages through the agents sorted
 * by id, `?state=` keeps one state, and bad values answer 400 (never a 500, never everything).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AgentInfo } from '@nexus-realtime/client/protocol';
import { startServer, type TestServer } from '../helpers/server.js';
import { tokenFor } from '../helpers/tokens.js';
import { TestClient } from '../helpers/ws-client.js';

const AGENTS = 12;
let server: TestServer;
let token: string;

async function getAgents(query: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${server.url}/api/agents${query}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: await res.json() };
}

const ids = (body: unknown) => (body as AgentInfo[]).map((agent) => agent.agent_id);

beforeAll(async () => {
  server = await startServer();
  token = await tokenFor('paging-operator', 'operator');
  for (let i = 0; i < AGENTS; i++) {
    const res = await fetch(`${server.url}/api/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ channel: 'telemetry', payload: { agent_id: `pg_${String(i).padStart(2, '0')}`, cpu: i } }),
    });
    expect(res.status).toBe(202);
  }
  await vi.waitFor(async () => expect(ids((await getAgents('')).body)).toHaveLength(AGENTS));
});
afterAll(() => server.close());

describe('GET /api/agents paging', () => {
  it('pages through the fleet with limit and offset, in id order', async () => {
    const first = await getAgents('?limit=5');
    const second = await getAgents('?limit=5&offset=5');
    const last = await getAgents('?limit=5&offset=10');
    expect(first.status).toBe(200);
    expect(ids(first.body)).toEqual(['pg_00', 'pg_01', 'pg_02', 'pg_03', 'pg_04']);
    expect(ids(second.body)).toEqual(['pg_05', 'pg_06', 'pg_07', 'pg_08', 'pg_09']);
    expect(ids(last.body)).toEqual(['pg_10', 'pg_11']);
    expect(ids((await getAgents('?offset=100')).body)).toEqual([]);
    expect((first.body as AgentInfo[])[1]!.latest).toEqual({ cpu: 1 });
  });

  it('keeps one state with ?state=', async () => {
    // Telemetry published for them by an operator makes no agent connected: all are offline.
    expect(ids((await getAgents('?state=offline&limit=3')).body)).toEqual(['pg_00', 'pg_01', 'pg_02']);
    const connected = await Promise.all(
      ['pg_03', 'pg_07'].map(async (id) => TestClient.connect(server.wsUrl, await tokenFor(id, 'agent'))),
    );
    try {
      await vi.waitFor(async () => expect(ids((await getAgents('?state=online')).body)).toEqual(['pg_03', 'pg_07']));
      expect(ids((await getAgents('?state=online&offset=1')).body)).toEqual(['pg_07']);
      expect(ids((await getAgents('?state=offline')).body)).toHaveLength(AGENTS - 2);
      expect(ids((await getAgents('?state=silent')).body)).toEqual([]);
    } finally {
      await Promise.all(connected.map((client) => client.close()));
    }
  });

  it.each(['?limit=0', '?limit=1001', '?limit=abc', '?offset=-1', '?offset=1.5', '?state=asleep', '?limit=1&limit=2'])(
    'answers 400 to %s',
    async (query) => {
      const { status, body } = await getAgents(query);
      expect(status).toBe(400);
      expect(body).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
    },
  );
});
