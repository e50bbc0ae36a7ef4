/**
 * The audit log, one process: execute_task and cancel_task (WebSocket and REST), REST publishes,
 * admin closes, refused upgrades, refused actions and frames refused before their action was read
 * (over the rate, not JSON) are recorded as
 * {at, userId, role, action, channel?, target?, result, detail?, count?}; refusals folded per user
 * and action into one entry a minute with a count. GET /api/audit is for operators and admins,
 * newest first, filtered by since/until (ISO or ms), userId, action, limit, and answers CSV with a
 * header row on ?format=csv; a bad query answers 400.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clientPool, ISO_8601, restJson } from '../helpers/assertions.js';
import { pollUntil } from '../helpers/raw.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { tokenFor } from '../helpers/tokens.js';
import { TestClient } from '../helpers/ws-client.js';

interface Entry {
  at: string;
  userId: string;
  role: string;
  action: string;
  channel?: string;
  target?: string;
  result: string;
  detail?: string;
  count?: number;
}

let server: TestServer;
let adminToken: string;
const pool = clientPool();
beforeAll(async () => {
  server = await startServer();
  adminToken = await tokenFor('audit-admin', 'admin');
});
afterEach(() => pool.closeAll());
afterAll(() => server.close());

async function audit(query = ''): Promise<Entry[]> {
  const res = await restJson(server.url, `/api/audit${query}`, { token: adminToken });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as Entry[];
}

async function waitForAudit(query: string, done: (entries: Entry[]) => boolean): Promise<Entry[]> {
  let last: Entry[] = [];
  const ok = await pollUntil(async () => done((last = await audit(query))), 15_000, 50);
  expect(ok, JSON.stringify(last)).toBe(true);
  return last;
}

describe('audit log entries', () => {
  it('execute_task over WebSocket and cancel_task over REST, each with who, role, channel, target and ok', async () => {
    const operator = pool.track(await TestClient.connect(server.wsUrl, await tokenFor('audit-op', 'operator')));
    expect(await operator.publish('commands', { command: 'execute_task', task_id: 'audit_t1' })).toMatchObject({
      type: 'ack',
    });
    const cancel = await restJson(server.url, '/api/publish', {
      method: 'POST',
      token: await tokenFor('audit-op2', 'operator'),
      body: { channel: 'commands', payload: { command: 'cancel_task', task_id: 'audit_t1' } },
    });
    expect(cancel.status).toBe(202);
    const entries = await waitForAudit('?userId=audit-op', (e) => e.length >= 1);
    expect(entries).toEqual([
      {
        at: expect.stringMatching(ISO_8601),
        userId: 'audit-op',
        role: 'operator',
        action: 'execute_task',
        channel: 'commands',
        target: 'audit_t1',
        result: 'ok',
      },
    ]);
    expect(await audit('?userId=audit-op2')).toMatchObject([
      { action: 'cancel_task', role: 'operator', channel: 'commands', target: 'audit_t1', result: 'ok' },
    ]);
  });

  it('every REST publish, and a refused one with its error code', async () => {
    const token = await tokenFor('audit-rest', 'operator');
    const ok = await restJson(server.url, '/api/publish', {
      method: 'POST',
      token,
      body: { channel: 'events', payload: { hello: 1 } },
    });
    expect(ok.status).toBe(202);
    const reserved = await restJson(server.url, '/api/publish', {
      method: 'POST',
      token,
      body: { channel: 'alerts', payload: {} },
    });
    expect(reserved.status).toBe(403);
    const entries = await audit('?userId=audit-rest');
    expect(entries.map(({ action, channel, result, count }) => ({ action, channel, result, count }))).toEqual([
      { action: 'publish', channel: 'alerts', result: 'forbidden', count: 1 },
      { action: 'publish', channel: 'events', result: 'ok', count: undefined },
    ]);
  });

  it('a flood of refused frames from one user folds into one entry with a count', async () => {
    const viewer = pool.track(await TestClient.connect(server.wsUrl, await tokenFor('audit-flooder', 'viewer')));
    const sent = 150;
    for (let i = 0; i < sent; i++) viewer.send({ action: 'publish', channel: 'events', payload: { i } });
    await pollUntil(() => viewer.ofType('error').length >= sent, 10_000);
    // The connection's rate (100/s, bursts of 200) lets every one of them through to the policy.
    const refusals = viewer.ofType('error').filter((f) => f.code === 'forbidden').length;
    expect(refusals).toBe(sent);
    const entries = await waitForAudit('?userId=audit-flooder', (e) => e[0]?.count === sent);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ role: 'viewer', action: 'publish', channel: 'events', result: 'forbidden' });
    expect(entries[0]!.detail).toMatch(/may not publish/);
  });

  it('frames refused before their action is read (not JSON, over the rate) fold into one frame entry a minute', async () => {
    const flooder = pool.track(await TestClient.connect(server.wsUrl, await tokenFor('audit-frames', 'viewer')));
    for (let i = 0; i < 3; i++) flooder.send('{not json');
    // Past the connection's burst (200 frames) the rest are refused as rate_limited, or dropped
    // unread while the connection is paused (those get no reply and are not recorded).
    const sent = 400;
    for (let i = 0; i < sent; i++) flooder.send({ action: 'subscribe', channel: `audit-frames-${i}` });
    await pollUntil(() => flooder.ofType('error').some((f) => f.code === 'rate_limited'), 10_000);
    await flooder.barrier(15_000);
    const invalid = flooder.ofType('error').filter((f) => f.code === 'invalid_json').length;
    const overRate = flooder.ofType('error').filter((f) => f.code === 'rate_limited').length;
    expect(invalid).toBe(3);
    expect(overRate).toBeGreaterThan(0);
    const total = (entries: Entry[]) => entries.reduce((sum, e) => sum + (e.count ?? 1), 0);
    const entries = await waitForAudit('?userId=audit-frames&action=frame', (e) => total(e) === invalid + overRate);
    // Folded per user, action and clock minute: one entry, two if the flood crossed a minute.
    expect(entries.length).toBeLessThanOrEqual(2);
    for (const entry of entries) expect(entry).toMatchObject({ role: 'viewer', action: 'frame' });
    // An entry carries its minute's first refusal: the oldest one is the invalid JSON.
    expect(entries.at(-1)!.result).toBe('invalid_json');
  });

  it('a refused upgrade without a token, recorded as anonymous', async () => {
    expect(await TestClient.upgradeStatus(server.wsUrl)).toBe(401);
    const entries = await waitForAudit('?userId=anonymous&action=upgrade', (e) => e.length > 0);
    expect(entries[0]).toMatchObject({ action: 'upgrade', result: 'unauthorized', role: 'viewer' });
    expect(entries[0]!.count).toBeGreaterThanOrEqual(1);
  });

  it('an admin close, and a non-admin refused one', async () => {
    const victim = pool.track(await TestClient.connect(server.wsUrl, await tokenFor('audit-victim', 'viewer')));
    const connectionId = victim.frames[0]!.connectionId as string;
    const closed = await restJson(server.url, `/api/admin/connections/${connectionId}/close`, {
      method: 'POST',
      token: adminToken,
      body: {},
    });
    expect(closed.status).toBe(202);
    expect((await victim.closed).code).toBe(4010);
    const refused = await restJson(server.url, `/api/admin/connections/${connectionId}/close`, {
      method: 'POST',
      token: await tokenFor('audit-sneaky', 'operator'),
      body: {},
    });
    expect(refused.status).toBe(403);
    expect(await audit('?userId=audit-admin&action=admin_close')).toMatchObject([
      { role: 'admin', target: connectionId, result: 'ok' },
    ]);
    expect(await audit('?userId=audit-sneaky')).toMatchObject([
      { action: 'admin_close', role: 'operator', result: 'forbidden', count: 1 },
    ]);
  });
});

describe('a refused subscribe (a policy file that keeps viewers off a channel)', () => {
  it('is recorded as subscribe, forbidden, with its channel', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nexus-audit-policy-'));
    const path = join(dir, 'policy.json');
    const roles = {
      viewer: { subscribe: ['events'], publish: [] },
      operator: { subscribe: ['*'], publish: ['*'] },
      admin: { subscribe: ['*'], publish: ['*'] },
    };
    writeFileSync(path, JSON.stringify({ roles }));
    const strict = await startServer({ env: { NEXUS_POLICY: path } });
    try {
      const viewer = await TestClient.connect(strict.wsUrl, await tokenFor('audit-peeker', 'viewer'));
      expect(await viewer.subscribe('commands')).toMatchObject({ type: 'error', code: 'forbidden' });
      expect(await viewer.subscribe('events')).toMatchObject({ type: 'subscribed' });
      await viewer.close();
      const res = await restJson(strict.url, '/api/audit?userId=audit-peeker', { token: adminToken });
      expect(res.body).toMatchObject([
        { action: 'subscribe', role: 'viewer', channel: 'commands', result: 'forbidden', count: 1 },
      ]);
    } finally {
      await strict.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('GET /api/audit', () => {
  it('is for operators and admins: a viewer or an agent gets 403, no token 401', async () => {
    expect((await restJson(server.url, '/api/audit', { token: await tokenFor('v', 'viewer') })).status).toBe(403);
    expect((await restJson(server.url, '/api/audit', { token: await tokenFor('a', 'agent') })).status).toBe(403);
    expect((await restJson(server.url, '/api/audit')).status).toBe(401);
    expect((await restJson(server.url, '/api/audit', { token: await tokenFor('o', 'operator') })).status).toBe(200);
  });

  it('newest first; since/until as ISO or ms (inclusive); limit', async () => {
    const token = await tokenFor('audit-timed', 'operator');
    for (let i = 0; i < 5; i++) {
      const res = await restJson(server.url, '/api/publish', {
        method: 'POST',
        token,
        body: { channel: 'events', payload: { i } },
      });
      expect(res.status).toBe(202);
    }
    const entries = await audit('?userId=audit-timed');
    expect(entries).toHaveLength(5);
    const times = entries.map((e) => Date.parse(e.at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    const [newest, , middle, , oldest] = entries;
    expect(await audit(`?userId=audit-timed&since=${Date.parse(middle!.at)}`)).toHaveLength(
      times.filter((t) => t >= Date.parse(middle!.at)).length,
    );
    expect(await audit(`?userId=audit-timed&until=${encodeURIComponent(oldest!.at)}`)).toHaveLength(
      times.filter((t) => t <= Date.parse(oldest!.at)).length,
    );
    expect(await audit('?userId=audit-timed&limit=2')).toEqual(entries.slice(0, 2));
    expect(entries[0]).toEqual(newest);
  });

  it('answers 400 for a bad query', async () => {
    for (const query of [
      'limit=0',
      'limit=1001',
      'limit=ten',
      'since=yesterday',
      'until=2026-13-45T99:00',
      'format=xml',
    ]) {
      const res = await restJson(server.url, `/api/audit?${query}`, { token: adminToken });
      expect(res.status, query).toBe(400);
      expect(res.body).toMatchObject({ error: { code: 'invalid_request' } });
    }
  });

  it('?format=csv answers text/csv with a header row, cells quoted as RFC 4180 says', async () => {
    const token = await tokenFor('audit,"csv"', 'operator');
    await restJson(server.url, '/api/publish', { method: 'POST', token, body: { channel: 'events', payload: 1 } });
    const res = await fetch(`${server.url}/api/audit?format=csv&userId=${encodeURIComponent('audit,"csv"')}`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (await res.text()).trimEnd().split('\r\n');
    expect(lines[0]).toBe('at,userId,role,action,channel,target,result,detail,count');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^\d{4}-[^,]+,"audit,""csv""",operator,publish,events,,ok,,$/);
  });
});
