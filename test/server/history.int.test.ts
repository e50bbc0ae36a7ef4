/** The history route: `GET /api/channels/:channel/history` on a real in-process server. */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.js';
import { tokenFor } from '../helpers/tokens.js';

let server: TestServer;
let operator: string;
beforeAll(async () => {
  server = await startServer({ env: { NEXUS_HISTORY_SIZE: '50' } });
  operator = await tokenFor('history-op', 'operator');
  for (let i = 1; i <= 60; i++) await publish('hist', { n: i });
  await publish('other', { n: 1 });
});
afterAll(() => server.close());

async function publish(channel: string, payload: unknown): Promise<void> {
  const res = await fetch(`${server.url}/api/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${operator}` },
    body: JSON.stringify({ channel, payload }),
  });
  expect(res.status).toBe(202);
}

interface HistoryBody {
  channel: string;
  epoch: string;
  seq: number;
  messages: { type: string; seq: number; from: string; data: { n: number }; timestamp: string }[];
}

async function history(query: string, token: string | null = operator): Promise<Response> {
  return fetch(`${server.url}/api/channels/${query}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
}

async function historyBody(query: string): Promise<HistoryBody> {
  const res = await history(query);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as HistoryBody;
}

describe('GET /api/channels/:channel/history', () => {
  it('answers the newest messages oldest first, with the channel position (default limit)', async () => {
    const body = await historyBody('hist/history?limit=5');
    expect(body.channel).toBe('hist');
    expect(body.seq).toBe(60);
    expect(typeof body.epoch).toBe('string');
    expect(body.messages.map((m) => m.seq)).toEqual([56, 57, 58, 59, 60]);
    const last = body.messages.at(-1)!;
    expect(last).toEqual({
      type: 'broadcast',
      seq: 60,
      from: 'history-op',
      data: { n: 60 },
      timestamp: last.timestamp,
    });
    expect(Number.isNaN(Date.parse(last.timestamp))).toBe(false);
  });

  it('holds only what history keeps, at most the default of 100 without a limit', async () => {
    const body = await historyBody('hist/history');
    expect(body.messages.map((m) => m.seq)).toEqual(Array.from({ length: 50 }, (_, i) => 11 + i));
  });

  it('?since= answers the messages after that seq, oldest first, up to the limit', async () => {
    const body = await historyBody('hist/history?since=55&limit=3');
    expect(body.messages.map((m) => m.seq)).toEqual([56, 57, 58]);
    expect((await historyBody('hist/history?since=60')).messages).toEqual([]);
    // Older than history keeps: from the oldest kept message on.
    expect((await historyBody('hist/history?since=2&limit=2')).messages.map((m) => m.seq)).toEqual([11, 12]);
  });

  it('answers an empty list for a channel with no history', async () => {
    const body = await historyBody('never-used/history');
    expect(body).toMatchObject({ channel: 'never-used', seq: 0, messages: [] });
  });

  it('refuses a bad limit, a bad since and a bad channel name with 400', async () => {
    for (const query of [
      'hist/history?limit=0',
      'hist/history?limit=1001',
      'hist/history?since=-1',
      'bad%20name/history',
    ]) {
      const res = await history(query);
      expect(res.status, query).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
    }
  });

  it('needs a bearer token (401 without, 403 with an invalid one)', async () => {
    expect((await history('hist/history', null)).status).toBe(401);
    expect((await history('hist/history', 'not-a-token')).status).toBe(403);
  });

  it('follows the subscribe policy', async () => {
    const restricted = await startServer({ env: { NEXUS_POLICY: policyFile() } });
    try {
      const viewer = await tokenFor('history-viewer', 'viewer');
      const res = await fetch(`${restricted.url}/api/channels/secret/history`, {
        headers: { authorization: `Bearer ${viewer}` },
      });
      expect(res.status).toBe(403);
      const open = await fetch(`${restricted.url}/api/channels/public/history`, {
        headers: { authorization: `Bearer ${viewer}` },
      });
      expect(open.status).toBe(200);
    } finally {
      await restricted.close();
    }
  });
});

function policyFile(): string {
  const path = join(tmpdir(), `nexus-history-policy-${process.pid}.json`);
  const document = { roles: { viewer: { subscribe: ['public'], publish: [] } } };
  writeFileSync(path, JSON.stringify(document));
  return path;
}
