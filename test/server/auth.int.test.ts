/**
 * Authentication, against a real in-process server and real `ws` clients:
 * upgrade answers, token transport, claims, origin allow-list, log redaction, expiry (4001) and
 * refresh, REST bearer auth, the dev token route and the secret length check.
 */
import { createHmac } from 'node:crypto';
import { decodeJwt } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clientPool, restJson, uniqueChannel } from '../helpers/assertions.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { signToken, TEST_SECRET, tokenFor } from '../helpers/tokens.js';
import { pollUntil } from '../helpers/raw.js';
import { sleep, TestClient, type Frame } from '../helpers/ws-client.js';
import { ConfigError, loadConfig } from '../../src/server/config.js';

const OTHER_SECRET = 'another-secret-that-is-long-enough-0123456789-abcdef';

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** An unsigned token (`alg: none`) claiming to be an admin. */
function unsignedToken(claims: Record<string, unknown>): string {
  return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}.`;
}

/** A valid token whose payload was swapped for another one, keeping the original signature. */
async function tamperedToken(): Promise<string> {
  const genuine = await signToken({ userId: 'mallory', role: 'viewer', expiresInSeconds: 3600 });
  const [header, , signature] = genuine.split('.');
  const payload = base64url({ userId: 'mallory', role: 'admin', exp: Math.floor(Date.now() / 1000) + 3600 });
  return `${header}.${payload}.${signature}`;
}

/** An HS256 token over the exact payload text given (for claims no JWT library would write). */
function rawSignedToken(payloadJson: string): string {
  const signingInput = `${base64url({ alg: 'HS256', typ: 'JWT' })}.${Buffer.from(payloadJson).toString('base64url')}`;
  const signature = createHmac('sha256', TEST_SECRET).update(signingInput).digest('base64url');
  return `${signingInput}.${signature}`;
}

function withToken(url: string, token: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
}

function isRestError(body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return false;
  const error = (body as { error?: unknown }).error;
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { code?: unknown }).code === 'string' &&
    typeof (error as { message?: unknown }).message === 'string'
  );
}

const pool = clientPool();
afterEach(() => pool.closeAll());

describe('upgrade answers (production mode)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it('answers 401 when no token is given', async () => {
    expect(await TestClient.upgradeStatus(server.wsUrl)).toBe(401);
    expect(await TestClient.upgradeStatus(`${server.wsUrl}?token=`)).toBe(401);
  });

  it('answers 403 for a token signed with another secret', async () => {
    const token = await signToken({ userId: 'u1', role: 'admin', expiresInSeconds: 3600, secret: OTHER_SECRET });
    expect(await TestClient.upgradeStatus(withToken(server.wsUrl, token))).toBe(403);
  });

  it('answers 403 for malformed tokens', async () => {
    for (const token of ['garbage', 'not.a.jwt', 'a.b.c.d', `${base64url({ alg: 'HS256' })}.e30`]) {
      expect(await TestClient.upgradeStatus(withToken(server.wsUrl, token)), token).toBe(403);
    }
  });

  it('answers 403 for an unsigned (alg "none") token and for a token with a tampered payload', async () => {
    const none = unsignedToken({ userId: 'mallory', role: 'admin', exp: Math.floor(Date.now() / 1000) + 3600 });
    expect(await TestClient.upgradeStatus(withToken(server.wsUrl, none))).toBe(403);
    expect(await TestClient.upgradeStatus(withToken(server.wsUrl, await tamperedToken()))).toBe(403);
  });

  it('answers 403 for an expired token', async () => {
    const token = await signToken({ userId: 'u1', role: 'viewer', expiresInSeconds: -30 });
    expect(await TestClient.upgradeStatus(withToken(server.wsUrl, token))).toBe(403);
  });

  it('answers 403 for a token with neither userId nor sub', async () => {
    const token = await signToken({ role: 'admin', expiresInSeconds: 3600 });
    expect(await TestClient.upgradeStatus(withToken(server.wsUrl, token))).toBe(403);
  });

  it('answers 404 for a path other than /ws or /, even with a valid token', async () => {
    const token = await tokenFor('u1');
    for (const path of ['/nope', '/ws/extra', '/api/ws', '/wss']) {
      expect(await TestClient.upgradeStatus(withToken(`ws://127.0.0.1:${server.port}${path}`, token)), path).toBe(404);
    }
  });

  it('accepts both /ws and / (compatibility with clients that connect to the root path)', async () => {
    const token = await tokenFor('path-user');
    const viaWs = await pool.connect(server.wsUrl, token);
    const viaRoot = await pool.connect(`ws://127.0.0.1:${server.port}/`, token);
    const viaBareHost = await pool.connect(`ws://127.0.0.1:${server.port}`, token);
    for (const client of [viaWs, viaRoot, viaBareHost]) {
      expect(client.frames[0]).toMatchObject({ type: 'connected', userId: 'path-user' });
      await client.assertAlive();
    }
  });

  it('takes the token from the ?token= query parameter', async () => {
    const client = await pool.connect(server.wsUrl, await tokenFor('query-user', 'agent'));
    expect(client.frames[0]).toMatchObject({ type: 'connected', userId: 'query-user', role: 'agent' });
  });

  it('takes the token from an Authorization: Bearer header', async () => {
    const token = await tokenFor('header-user', 'operator');
    const client = await pool.connect(server.wsUrl, undefined, { headers: { Authorization: `Bearer ${token}` } });
    expect(client.frames[0]).toMatchObject({ type: 'connected', userId: 'header-user', role: 'operator' });
    await client.assertAlive();
  });

  it('refuses a bad bearer header with 403 and an empty one with 401', async () => {
    const bad = await signToken({ userId: 'u1', expiresInSeconds: 3600, secret: OTHER_SECRET });
    expect(await TestClient.upgradeStatus(server.wsUrl, { headers: { Authorization: `Bearer ${bad}` } })).toBe(403);
    expect(await TestClient.upgradeStatus(server.wsUrl, { headers: { Authorization: 'Bearer' } })).toBe(401);
  });
});

describe('claims', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it('uses the userId claim', async () => {
    const client = await pool.connect(
      server.wsUrl,
      await signToken({ userId: 'claim-user', role: 'agent', expiresInSeconds: 60 }),
    );
    expect(client.frames[0]).toMatchObject({ type: 'connected', userId: 'claim-user', role: 'agent' });
  });

  it('falls back to the sub claim when userId is missing', async () => {
    const client = await pool.connect(
      server.wsUrl,
      await signToken({ sub: 'sub-user', role: 'operator', expiresInSeconds: 60 }),
    );
    expect(client.frames[0]).toMatchObject({ type: 'connected', userId: 'sub-user', role: 'operator' });
  });

  it('prefers userId over sub when both are present', async () => {
    const client = await pool.connect(
      server.wsUrl,
      await signToken({ userId: 'primary', sub: 'secondary', expiresInSeconds: 60 }),
    );
    expect(client.frames[0]).toMatchObject({ type: 'connected', userId: 'primary' });
  });

  it('reports each known role as given', async () => {
    for (const role of ['viewer', 'agent', 'operator', 'admin']) {
      const client = await pool.connect(server.wsUrl, await tokenFor(`role-${role}`, role));
      expect(client.frames[0], role).toMatchObject({ type: 'connected', role });
    }
  });

  it('treats a missing or unknown role as viewer, with viewer rights', async () => {
    const missing = await pool.connect(server.wsUrl, await signToken({ userId: 'no-role', expiresInSeconds: 60 }));
    const unknown = await pool.connect(
      server.wsUrl,
      await signToken({ userId: 'odd-role', role: 'superuser', expiresInSeconds: 60 }),
    );
    const upper = await pool.connect(
      server.wsUrl,
      await signToken({ userId: 'upper-role', role: 'ADMIN', expiresInSeconds: 60 }),
    );
    const nonString = await pool.connect(
      server.wsUrl,
      await signToken({ userId: 'num-role', extraClaims: { role: 3 }, expiresInSeconds: 60 }),
    );
    for (const client of [missing, unknown, upper, nonString]) {
      expect(client.frames[0]).toMatchObject({ type: 'connected', role: 'viewer' });
      // Viewer rights, not just the label: publishing is refused.
      const reply = await client.publish(uniqueChannel('events'), { hello: 1 });
      expect(reply).toMatchObject({ type: 'error', code: 'forbidden' });
    }
  });
});

describe('origin allow-list', () => {
  let prod: TestServer;
  let prodListed: TestServer;
  let dev: TestServer;
  let devToken: string;
  let prodToken: string;

  beforeAll(async () => {
    [prod, prodListed, dev] = await Promise.all([
      startServer(),
      startServer({ env: { NEXUS_ALLOWED_ORIGINS: 'http://localhost:5173, https://ops.example.com' } }),
      startServer({ env: { NEXUS_JWT_SECRET: '' } }),
    ]);
    prodToken = await tokenFor('origin-user');
    devToken = await dev.auth.sign({ userId: 'origin-user', role: 'viewer' }, 600);
  });
  afterAll(() => Promise.all([prod.close(), prodListed.close(), dev.close()]));

  const status = (server: TestServer, token: string, origin?: string) =>
    TestClient.upgradeStatus(withToken(server.wsUrl, token), origin === undefined ? {} : { origin });

  it('allows requests without an Origin header (non-browser clients)', async () => {
    expect(await status(prod, prodToken)).toBe(101);
    expect(await status(dev, devToken)).toBe(101);
  });

  it('allows the same origin', async () => {
    expect(await status(prod, prodToken, `http://127.0.0.1:${prod.port}`)).toBe(101);
    expect(await status(dev, devToken, `http://127.0.0.1:${dev.port}`)).toBe(101);
  });

  it('refuses a foreign origin with 403 in production mode, even with a valid token', async () => {
    for (const origin of ['https://evil.example.com', `http://127.0.0.1.evil.example.com:${prod.port}`, 'null']) {
      expect(await status(prod, prodToken, origin), origin).toBe(403);
    }
  });

  it('refuses localhost origins on other ports in production mode unless listed', async () => {
    expect(await status(prod, prodToken, 'http://localhost:5173')).toBe(403);
    expect(await status(prod, prodToken, 'http://127.0.0.1:5173')).toBe(403);
  });

  it('allows the origins listed in NEXUS_ALLOWED_ORIGINS and only those (plus same origin)', async () => {
    expect(await status(prodListed, prodToken, 'http://localhost:5173')).toBe(101);
    expect(await status(prodListed, prodToken, 'https://ops.example.com')).toBe(101);
    expect(await status(prodListed, prodToken, `http://127.0.0.1:${prodListed.port}`)).toBe(101);
    expect(await status(prodListed, prodToken, 'http://localhost:3000')).toBe(403);
    expect(await status(prodListed, prodToken, 'https://evil.example.com')).toBe(403);
  });

  it('allows localhost and 127.0.0.1 origins in dev mode, but not foreign ones', async () => {
    expect(await status(dev, devToken, 'http://localhost:5173')).toBe(101);
    expect(await status(dev, devToken, 'http://127.0.0.1:5173')).toBe(101);
    expect(await status(dev, devToken, 'https://evil.example.com')).toBe(403);
  });
});

describe('tokens never reach the logs', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ captureLogs: true });
  });
  afterAll(() => server.close());

  it('logs neither good nor bad tokens (query, header, refresh, REST)', async () => {
    const good = await tokenFor('log-user', 'operator');
    const refreshGood = await signToken({ userId: 'log-user', role: 'operator', expiresInSeconds: 7200 });
    const bad = await signToken({ userId: 'log-user', role: 'admin', expiresInSeconds: 3600, secret: OTHER_SECRET });
    const expired = await signToken({ userId: 'log-user', expiresInSeconds: -60 });
    const badHeader = await signToken({ userId: 'hdr-user', expiresInSeconds: 3600, secret: OTHER_SECRET });

    expect(await TestClient.upgradeStatus(withToken(server.wsUrl, bad))).toBe(403);
    expect(await TestClient.upgradeStatus(withToken(server.wsUrl, expired))).toBe(403);
    expect(await TestClient.upgradeStatus(server.wsUrl, { headers: { Authorization: `Bearer ${badHeader}` } })).toBe(
      403,
    );
    expect(await TestClient.upgradeStatus(withToken(`ws://127.0.0.1:${server.port}/nope`, good))).toBe(404);
    expect(await TestClient.upgradeStatus(withToken(server.wsUrl, good), { origin: 'https://evil.example.com' })).toBe(
      403,
    );

    const client = await pool.connect(server.wsUrl, good);
    expect(await client.request({ action: 'refresh', token: refreshGood })).toMatchObject({ type: 'refreshed' });
    expect(await client.request({ action: 'refresh', token: bad })).toMatchObject({ type: 'error', code: 'forbidden' });
    await client.publish(uniqueChannel('events'), { note: 'hello' });
    await client.close();

    expect(
      (
        await restJson(server.url, `/api/publish?token=${good}`, {
          method: 'POST',
          token: bad,
          body: { channel: 'events', payload: 1 },
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await restJson(server.url, `/api/publish?token=${good}`, {
          method: 'POST',
          token: good,
          body: { channel: 'events', payload: 1 },
        })
      ).status,
    ).toBe(202);
    await sleep(50);

    // The capture works and saw the refusals, so the absence of tokens below means something.
    expect(server.logLines.length).toBeGreaterThan(0);
    expect(server.logLines.some((line) => line.includes('upgrade refused'))).toBe(true);
    // URLs are logged, with the token parameter redacted.
    expect(server.logLines.some((line) => line.includes('token=[redacted]'))).toBe(true);
    for (const token of [good, refreshGood, bad, expired, badHeader]) {
      const signature = token.split('.')[2]!;
      const leaking = server.logLines.filter((line) => line.includes(token) || line.includes(signature));
      expect(leaking, `token ${token.slice(0, 20)}… leaked`).toEqual([]);
    }
  });
});

describe('expiry and refresh', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it('closes a live connection with 4001 "token expired" when its token reaches exp', async () => {
    const token = await signToken({ userId: 'short-lived', role: 'viewer', expiresInSeconds: 2 });
    const exp = decodeJwt(token).exp!;
    const client = await pool.connect(server.wsUrl, token);
    await client.assertAlive();
    const closed = await Promise.race([client.closed, sleep(4000).then(() => undefined)]);
    expect(closed).toEqual({ code: 4001, reason: 'token expired' });
    // Not closed early: the close came at (or after) exp, give or take timer jitter.
    expect(Date.now()).toBeGreaterThanOrEqual(exp * 1000 - 50);
  });

  it('a refresh with a valid newer token answers refreshed {exp} and keeps the connection open past the old exp', async () => {
    const token = await signToken({ userId: 'refresher', role: 'viewer', expiresInSeconds: 2 });
    const oldExp = decodeJwt(token).exp!;
    const newer = await signToken({ userId: 'refresher', role: 'viewer', expiresInSeconds: 3600 });
    const newExp = decodeJwt(newer).exp!;
    const client = await pool.connect(server.wsUrl, token);
    const reply = await client.request({ action: 'refresh', token: newer, id: 'r1' });
    expect(reply).toEqual({ type: 'refreshed', id: 'r1', exp: newExp });
    await sleep(Math.max(0, oldExp * 1000 - Date.now()) + 600);
    await client.assertAlive();
    expect(client.ofType('error')).toEqual([]);
    const state = await Promise.race([client.closed.then(() => 'closed'), sleep(10).then(() => 'open')]);
    expect(state).toBe('open');
  });

  it('a refresh with an invalid token gets error forbidden and the connection stays open', async () => {
    const client = await pool.connect(server.wsUrl, await tokenFor('refresh-bad'));
    const wrongSecret = await signToken({ userId: 'refresh-bad', expiresInSeconds: 3600, secret: OTHER_SECRET });
    const expired = await signToken({ userId: 'refresh-bad', expiresInSeconds: -60 });
    for (const [id, token] of [
      ['bad-1', 'garbage'],
      ['bad-2', wrongSecret],
      ['bad-3', expired],
    ] as const) {
      const reply = await client.request({ action: 'refresh', token, id });
      expect(reply, id).toMatchObject({ type: 'error', code: 'forbidden', id });
      await client.assertAlive();
    }
  });

  it("a refresh with another user's token gets error forbidden, the connection stays open with its own identity", async () => {
    const token = await signToken({ userId: 'alice', role: 'viewer', expiresInSeconds: 2 });
    const client = await pool.connect(server.wsUrl, token);
    const bobs = await signToken({ userId: 'bob', role: 'admin', expiresInSeconds: 3600 });
    const reply = await client.request({ action: 'refresh', token: bobs, id: 'steal' });
    expect(reply).toMatchObject({ type: 'error', code: 'forbidden', id: 'steal' });
    await client.assertAlive();
    // Still a viewer: bob's admin rights were not taken over.
    expect(await client.publish(uniqueChannel('commands'), { x: 1 })).toMatchObject({
      type: 'error',
      code: 'forbidden',
    });
    // And the refused refresh did not extend the original expiry.
    const closed = await Promise.race([client.closed, sleep(4000).then(() => undefined)]);
    expect(closed).toMatchObject({ code: 4001 });
  });
});

describe('a refresh keeps the identity and the rate limit of its connection', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  const count = (client: TestClient, predicate: (f: Frame) => boolean) => client.frames.filter(predicate).length;
  const isPong = (f: Frame) => f.type === 'pong';
  const isLimited = (f: Frame) => f.type === 'error' && f.code === 'rate_limited';

  /** Sends `n` pings and waits until each got a pong or a rate_limited error; returns the pongs. */
  async function pings(client: TestClient, n: number): Promise<{ accepted: number; refused: number }> {
    const [pongsBefore, limitedBefore] = [count(client, isPong), count(client, isLimited)];
    for (let i = 0; i < n; i++) client.send({ action: 'ping' });
    const settled = () => count(client, isPong) - pongsBefore + count(client, isLimited) - limitedBefore >= n;
    expect(await pollUntil(settled, 5000, 5)).toBe(true);
    return { accepted: count(client, isPong) - pongsBefore, refused: count(client, isLimited) - limitedBefore };
  }

  it('a refresh naming another role of the same user is refused and does not refill the bucket', async () => {
    const user = 'role-switcher';
    const client = await pool.connect(
      server.wsUrl,
      await signToken({ userId: user, role: 'operator', expiresInSeconds: 3600 }),
    );
    // Spend the burst (200): the old server replaced the bucket with a full one on a role change,
    // so alternating operator and admin tokens gave a fresh burst on every refresh.
    expect((await pings(client, 200)).accepted).toBe(200);
    await sleep(50); // a few tokens back, so the refresh itself is not the frame refused
    const admin = await signToken({ userId: user, role: 'admin', expiresInSeconds: 3600 });
    const reply = await client.request({ action: 'refresh', token: admin, id: 'to-admin' });
    expect(reply).toMatchObject({ type: 'error', code: 'forbidden', id: 'to-admin' });
    expect(String(reply.message)).toMatch(/role/);
    // Fewer than a hundred, so each refusal is answered (past that the connection stops being read).
    const after = await pings(client, 80);
    expect(after.refused, 'the bucket was not refilled by the refresh').toBeGreaterThan(0);
    expect(after.accepted).toBeLessThan(60);
    // The connection is unchanged: still an operator, still open.
    await sleep(1100);
    await client.assertAlive();
    const me = client.frames.find((f) => f.type === 'connected');
    expect(me).toMatchObject({ role: 'operator', userId: user });
  });

  it('a refresh of the same user and role is accepted and keeps the bucket as it was', async () => {
    const user = 'same-role-refresher';
    const client = await pool.connect(
      server.wsUrl,
      await signToken({ userId: user, role: 'admin', expiresInSeconds: 3600 }),
    );
    expect((await pings(client, 195)).accepted).toBe(195);
    const newer = await signToken({ userId: user, role: 'admin', expiresInSeconds: 7200 });
    expect(await client.request({ action: 'refresh', token: newer, id: 'renew' })).toMatchObject({
      type: 'refreshed',
      id: 'renew',
      exp: decodeJwt(newer).exp,
    });
    expect((await pings(client, 60)).refused).toBeGreaterThan(0);
  });

  it('an agent may not refresh into another agent', async () => {
    const claims = (agent: string) => ({
      userId: 'fleet-user',
      role: 'agent',
      expiresInSeconds: 3600,
      extraClaims: { agent_id: agent },
    });
    const client = await pool.connect(server.wsUrl, await signToken(claims('agent_a')));
    const reply = await client.request({ action: 'refresh', token: await signToken(claims('agent_b')), id: 'swap' });
    expect(reply).toMatchObject({ type: 'error', code: 'forbidden', id: 'swap' });
    const again = await client.request({ action: 'refresh', token: await signToken(claims('agent_a')), id: 'same' });
    expect(again).toMatchObject({ type: 'refreshed', id: 'same' });
  });
});

describe('REST bearer authentication', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it('answers 401 with a JSON error when the bearer is missing (GET and POST under /api)', async () => {
    for (const [method, path] of [
      ['GET', '/api/tasks'],
      ['GET', '/api/agents'],
      ['POST', '/api/publish'],
    ] as const) {
      const res = await restJson(server.url, path, {
        method,
        ...(method === 'POST' ? { body: { channel: 'events', payload: 1 } } : {}),
      });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(isRestError(res.body), JSON.stringify(res.body)).toBe(true);
    }
  });

  it('answers 403 with a JSON error for an invalid, expired or tampered bearer', async () => {
    const wrongSecret = await signToken({
      userId: 'rest',
      role: 'admin',
      expiresInSeconds: 3600,
      secret: OTHER_SECRET,
    });
    const expired = await signToken({ userId: 'rest', role: 'admin', expiresInSeconds: -60 });
    for (const token of ['garbage', wrongSecret, expired, await tamperedToken()]) {
      for (const [method, path] of [
        ['GET', '/api/tasks'],
        ['POST', '/api/publish'],
      ] as const) {
        const res = await restJson(server.url, path, {
          method,
          token,
          ...(method === 'POST' ? { body: { channel: 'events', payload: 1 } } : {}),
        });
        expect(res.status, `${method} ${path} with ${token.slice(0, 12)}…`).toBe(403);
        expect(isRestError(res.body)).toBe(true);
      }
    }
  });

  it('accepts a valid bearer (POST /api/publish → 202)', async () => {
    const res = await restJson(server.url, '/api/publish', {
      method: 'POST',
      token: await tokenFor('rest-op', 'operator'),
      body: { channel: uniqueChannel('events'), payload: 1 },
    });
    expect(res.status).toBe(202);
  });

  it('does not require a bearer for /healthz and /metrics', async () => {
    expect((await restJson(server.url, '/healthz')).status).toBe(200);
    expect((await restJson(server.url, '/metrics')).status).toBe(200);
  });
});

describe('dev token route', () => {
  let dev: TestServer;
  let otherDev: TestServer;
  let prod: TestServer;
  beforeAll(async () => {
    [dev, otherDev, prod] = await Promise.all([
      startServer({ env: { NEXUS_JWT_SECRET: '' } }),
      startServer({ env: { NEXUS_JWT_SECRET: '' } }),
      startServer(),
    ]);
  });
  afterAll(() => Promise.all([dev.close(), otherDev.close(), prod.close()]));

  it('dev mode: POST /api/dev/token {userId, role} → {token} that opens a WebSocket as that user', async () => {
    const res = await restJson(dev.url, '/api/dev/token', {
      method: 'POST',
      body: { userId: 'dev-alice', role: 'operator' },
    });
    expect(res.status).toBe(200);
    const token = (res.body as { token?: unknown }).token;
    expect(typeof token).toBe('string');
    const client = await pool.connect(dev.wsUrl, token as string);
    expect(client.frames[0]).toMatchObject({ type: 'connected', userId: 'dev-alice', role: 'operator' });
    // The token is also a valid REST bearer, with operator rights.
    const publish = await restJson(dev.url, '/api/publish', {
      method: 'POST',
      token: token as string,
      body: { channel: 'commands', payload: { command: 'execute_task', task_id: 'dev-alice-task' } },
    });
    expect(publish.status).toBe(202);
  });

  it('dev mode: the secret is random per start, so a dev token of one server is refused (403) by another', async () => {
    const res = await restJson(dev.url, '/api/dev/token', {
      method: 'POST',
      body: { userId: 'dev-bob', role: 'viewer' },
    });
    const token = (res.body as { token: string }).token;
    expect(await TestClient.upgradeStatus(withToken(otherDev.wsUrl, token))).toBe(403);
    expect(await TestClient.upgradeStatus(withToken(prod.wsUrl, token))).toBe(403);
  });

  it('production mode: POST /api/dev/token answers 404 (JSON error)', async () => {
    const res = await restJson(prod.url, '/api/dev/token', { method: 'POST', body: { userId: 'x', role: 'admin' } });
    expect(res.status).toBe(404);
    expect(isRestError(res.body)).toBe(true);
    const withBearer = await restJson(prod.url, '/api/dev/token', {
      method: 'POST',
      token: await tokenFor('x', 'admin'),
      body: { userId: 'x', role: 'admin' },
    });
    expect(withBearer.status).toBe(404);
  });
});

describe('secret length (loadConfig)', () => {
  it('refuses a NEXUS_JWT_SECRET shorter than 32 bytes with a ConfigError naming the variable', () => {
    for (const secret of ['short', 'x'.repeat(31)]) {
      let caught: unknown;
      try {
        loadConfig({ NEXUS_JWT_SECRET: secret });
      } catch (error) {
        caught = error;
      }
      expect(caught, secret).toBeInstanceOf(ConfigError);
      expect((caught as ConfigError).message).toMatch(/NEXUS_JWT_SECRET/);
      // The error does not echo the secret back.
      if (secret !== 'x'.repeat(31)) expect((caught as ConfigError).message).not.toContain(secret);
    }
  });

  it('accepts a 32-byte secret (production mode) and an unset one (dev mode)', () => {
    const prod = loadConfig({ NEXUS_JWT_SECRET: 'y'.repeat(32) });
    expect(prod.devMode).toBe(false);
    expect(loadConfig({ NEXUS_JWT_SECRET: TEST_SECRET }).devMode).toBe(false);
    expect(loadConfig({}).devMode).toBe(true);
    expect(loadConfig({ NEXUS_JWT_SECRET: '' }).devMode).toBe(true);
  });

  it('counts bytes, not characters: 16 two-byte characters (32 bytes) are accepted, 15 (30 bytes) refused', () => {
    expect(loadConfig({ NEXUS_JWT_SECRET: 'é'.repeat(16) }).devMode).toBe(false);
    expect(() => loadConfig({ NEXUS_JWT_SECRET: 'é'.repeat(15) })).toThrow(ConfigError);
  });
});

describe('token rules: exp required, reserved userId, agent identity', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it('refuses a token without exp on the upgrade (403) and on REST (403)', async () => {
    const forever = await signToken({ userId: 'immortal', role: 'admin' });
    expect(decodeJwt(forever).exp).toBeUndefined();
    expect(await TestClient.upgradeStatus(withToken(server.wsUrl, forever))).toBe(403);
    const response = await restJson(server.url, '/api/tasks', { token: forever });
    expect(response.status).toBe(403);
    expect(isRestError(response.body)).toBe(true);
  });

  it('refuses the reserved userId "nexus" (as userId or sub), upgrade and REST', async () => {
    const asUserId = await signToken({ userId: 'nexus', role: 'operator', expiresInSeconds: 3600 });
    const asSub = await signToken({ sub: 'nexus', role: 'operator', expiresInSeconds: 3600 });
    for (const token of [asUserId, asSub]) {
      expect(await TestClient.upgradeStatus(withToken(server.wsUrl, token))).toBe(403);
      expect((await restJson(server.url, '/api/tasks', { token })).status).toBe(403);
    }
  });

  it('a refresh with a token without exp is refused and the connection keeps its expiry (closed 4001)', async () => {
    const token = await signToken({ userId: 'keeps-exp', role: 'viewer', expiresInSeconds: 2 });
    const client = await pool.connect(server.wsUrl, token);
    const forever = await signToken({ userId: 'keeps-exp', role: 'viewer' });
    const reply = await client.request({ action: 'refresh', token: forever, id: 'no-exp' });
    expect(reply).toMatchObject({ type: 'error', code: 'forbidden', id: 'no-exp' });
    const closed = await Promise.race([client.closed, sleep(4000).then(() => undefined)]);
    expect(closed).toMatchObject({ code: 4001 });
  });

  it('refuses an exp that is not a finite whole number (1e400, a fraction, a string) like an invalid token', async () => {
    const inAnHour = Math.floor(Date.now() / 1000) + 3600;
    const bad = ['1e400', `${inAnHour}.5`, `"${inAnHour}"`];
    const client = await pool.connect(server.wsUrl, await tokenFor('exp-refresher', 'viewer'));
    for (const exp of bad) {
      const token = rawSignedToken(`{"userId":"exp-refresher","role":"viewer","exp":${exp}}`);
      expect(await TestClient.upgradeStatus(withToken(server.wsUrl, token)), `upgrade, exp ${exp}`).toBe(403);
      expect((await restJson(server.url, '/api/tasks', { token })).status, `REST, exp ${exp}`).toBe(403);
      const reply = await client.request({ action: 'refresh', token, id: `exp-${exp}` });
      expect(reply, `refresh, exp ${exp}`).toMatchObject({ type: 'error', code: 'forbidden' });
    }
    // The same claims with a whole exp are fine (the helper signs correctly).
    const good = rawSignedToken(`{"userId":"exp-refresher","role":"viewer","exp":${inAnHour}}`);
    expect(await TestClient.upgradeStatus(withToken(server.wsUrl, good))).toBe(101);
    expect(await client.request({ action: 'refresh', token: good, id: 'good' })).toMatchObject({
      type: 'refreshed',
      exp: inAnHour,
    });
  });

  it('an agent token names its agent: the agent_id claim, else the userId', async () => {
    const named = await server.auth.verify(
      await signToken({ userId: 'u-1', role: 'agent', expiresInSeconds: 60, extraClaims: { agent_id: 'agent_007' } }),
    );
    expect(named).toMatchObject({ ok: true, principal: { userId: 'u-1', role: 'agent', agentId: 'agent_007' } });
    const plain = await server.auth.verify(
      await signToken({ userId: 'agent_008', role: 'agent', expiresInSeconds: 60 }),
    );
    expect(plain).toMatchObject({ ok: true, principal: { agentId: 'agent_008' } });
    const bad = await server.auth.verify(
      await signToken({ userId: 'u-2', role: 'agent', expiresInSeconds: 60, extraClaims: { agent_id: 42 } }),
    );
    expect(bad).toMatchObject({ ok: false, reason: 'invalid' });
  });
});
