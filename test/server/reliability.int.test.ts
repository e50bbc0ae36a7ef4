/**
 * reliability (heartbeat, graceful shutdown) and start-up configuration, in
 * process and against the built server (`node dist/server/main.js`) as a child process.
 */
import { request } from 'node:http';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, spawnNode, stopAll, waitForListening } from '../helpers/node-process.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { signToken, tokenFor } from '../helpers/tokens.js';
import { TestClient, sleep } from '../helpers/ws-client.js';

const MAIN = 'dist/server/main.js';
const PROCESS_SECRET = 'reliability-process-secret-0123456789-abcdefghij';

const notClosed = (ms: number) => sleep(ms).then(() => ({ code: -1, reason: 'not closed' }));

describe('heartbeat (NEXUS_HEARTBEAT_MS=200)', () => {
  it('pings every period; a client that answers pings stays connected across many periods', async () => {
    const server = await startServer({ env: { NEXUS_HEARTBEAT_MS: '200' } });
    try {
      const client = await TestClient.connect(server.wsUrl, await tokenFor('hb-user', 'viewer'));
      expect(client.frames[0]).toMatchObject({ type: 'connected', heartbeatMs: 200 });
      const pings: number[] = [];
      client.socket.on('ping', () => pings.push(Date.now()));
      await sleep(2000); // ten periods, the client sending nothing itself
      expect(pings.length).toBeGreaterThanOrEqual(7);
      expect(pings.length).toBeLessThanOrEqual(12);
      const gaps = pings.slice(1).map((t, i) => t - pings[i]!);
      const median = [...gaps].sort((a, b) => a - b)[Math.floor(gaps.length / 2)]!;
      expect(median).toBeGreaterThanOrEqual(150);
      expect(median).toBeLessThanOrEqual(300);
      expect(client.socket.readyState).toBe(client.socket.OPEN);
      expect(server.connections()).toBe(1);
      await client.assertAlive();
      await client.close();
    } finally {
      await server.close();
    }
  });

  it('the default period is 30 s (announced in the connected frame)', async () => {
    const server = await startServer();
    try {
      const client = await TestClient.connect(server.wsUrl, await tokenFor('hb-default', 'viewer'));
      expect(client.frames[0]).toMatchObject({ type: 'connected', heartbeatMs: 30_000 });
      await client.close();
    } finally {
      await server.close();
    }
  });
});

describe('graceful shutdown (in process)', () => {
  it('server.close() closes every WebSocket with 1012 and finishes an in-flight REST request', async () => {
    const server = await startServer();
    const clients = await Promise.all(
      ['viewer', 'agent', 'operator'].map(async (role, i) =>
        TestClient.connect(server.wsUrl, await tokenFor(`shutdown-${i}`, role)),
      ),
    );
    await clients[0]!.subscribe('shutdown.ch');
    const token = await tokenFor('shutdown-rest', 'operator');

    // A REST request whose body is still arriving when the shutdown starts.
    const body = JSON.stringify({ channel: 'shutdown.rest', payload: { n: 1 } });
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: server.port,
          path: '/api/publish',
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, 10));
      setTimeout(() => req.end(body.slice(10)), 150);
    });
    await sleep(50);
    const closeStartedAt = Date.now();
    const closing = server.close();

    // While closing: no new upgrade gets through.
    const lateUpgrade = await TestClient.upgradeStatus(`${server.wsUrl}?token=${token}`).catch(
      (error: NodeJS.ErrnoException) => error.code ?? 'error',
    );
    expect(lateUpgrade).not.toBe(101);

    const closes = await Promise.all(clients.map((c) => Promise.race([c.closed, notClosed(5000)])));
    for (const closed of closes) expect(closed).toEqual({ code: 1012, reason: 'service restart' });

    const answer = await response;
    expect(answer.status).toBe(202);
    expect(JSON.parse(answer.body)).toMatchObject({ seq: 1 });

    await closing;
    expect(Date.now() - closeStartedAt).toBeLessThan(10_000);
    expect(server.connections()).toBe(0);

    // After close: HTTP and upgrades are refused.
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
    const upgradeAfter = await TestClient.upgradeStatus(`${server.wsUrl}?token=${token}`).catch(
      (error: NodeJS.ErrnoException) => error.code ?? 'error',
    );
    expect(upgradeAfter).toBe('ECONNREFUSED');
  });

  it('close() with idle keep-alive HTTP connections still finishes promptly', async () => {
    const server = await startServer();
    const client = await TestClient.connect(server.wsUrl, await tokenFor('shutdown-idle', 'viewer'));
    for (let i = 0; i < 3; i++) expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const startedAt = Date.now();
    await server.close();
    expect(Date.now() - startedAt).toBeLessThan(3000);
    expect(await client.closed).toMatchObject({ code: 1012 });
  });
});

// ---- the built process ------------------------------------------------------------------------

/** Starts `node dist/server/main.js` with only the given Nexus settings. */
const spawnServer = (env: Record<string, string>) => spawnNode(MAIN, [], env);

const withTimeout = <T>(promise: Promise<T>, ms: number, fallback: T) =>
  Promise.race([promise, sleep(ms).then(() => fallback)]);

describe('the built server process (node dist/server/main.js)', () => {
  beforeAll(() => {
    ensureBuilt([MAIN], ['src/server', 'packages/client/src']);
  }, 120_000);

  // Stop only the children this file started, by their PID, if a test left one running.
  afterEach(() => stopAll('SIGKILL'));

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`PORT=0 prints the chosen port; ${signal} closes WebSockets with 1012 and exits 0 within 10 s`, async () => {
      const child = spawnServer({ PORT: '0', HOST: '127.0.0.1', NEXUS_JWT_SECRET: PROCESS_SECRET });
      const port = await waitForListening(child);
      expect(port).toBeGreaterThan(0);
      const listening = child.stdout.find((l) => l.includes('listening on'))!;
      expect(() => JSON.parse(listening)).not.toThrow();

      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(await health.json()).toMatchObject({ status: 'ok', broker: 'memory', connections: 0 });
      const token = await signToken({
        userId: 'proc-user',
        role: 'operator',
        expiresInSeconds: 600,
        secret: PROCESS_SECRET,
      });
      const clients = await Promise.all([0, 1].map(() => TestClient.connect(`ws://127.0.0.1:${port}/ws`, token)));
      await clients[0]!.subscribe('proc.ch');

      const signalledAt = Date.now();
      expect(child.process.kill(signal)).toBe(true);
      const closes = await Promise.all(
        clients.map((c) => withTimeout(c.closed, 10_000, { code: -1, reason: 'not closed' })),
      );
      for (const closed of closes) expect(closed).toEqual({ code: 1012, reason: 'service restart' });
      const exit = await withTimeout(child.exited, 10_000, { code: -1, signal: null });
      expect(exit).toEqual({ code: 0, signal: null });
      expect(Date.now() - signalledAt).toBeLessThan(10_000);
      // Logs were flushed: the last lines say so.
      expect(child.stdout.some((l) => l.includes('shutting down'))).toBe(true);
      expect(child.stdout.some((l) => l.includes('"stopped"'))).toBe(true);
      // And the port is free again.
      await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    }, 30_000);
  }

  it('bad configuration values stop the start with a line naming the variable, before listening', async () => {
    const good = { PORT: '0', HOST: '127.0.0.1', NEXUS_JWT_SECRET: PROCESS_SECRET };
    const cases: [string, Record<string, string>][] = [
      ['PORT', { ...good, PORT: 'abc' }],
      ['PORT', { ...good, PORT: '70000' }],
      ['NEXUS_HEARTBEAT_MS', { ...good, NEXUS_HEARTBEAT_MS: '-1' }],
      ['NEXUS_DEFLATE', { ...good, NEXUS_DEFLATE: 'maybe' }],
      ['NEXUS_REDIS_URL', { ...good, NEXUS_REDIS_URL: 'not-a-url' }],
      ['NEXUS_POLICY', { ...good, NEXUS_POLICY: '/nonexistent.json' }],
      ['NEXUS_JWT_SECRET', { ...good, NEXUS_JWT_SECRET: 'short' }],
      ['NEXUS_MAX_PAYLOAD', { ...good, NEXUS_MAX_PAYLOAD: '1e6' }],
      ['NEXUS_MAX_BUFFERED', { ...good, NEXUS_MAX_BUFFERED: 'lots' }],
      ['NEXUS_HISTORY_SIZE', { ...good, NEXUS_HISTORY_SIZE: '-5' }],
    ];
    const results = await Promise.all(
      cases.map(async ([variable, env]) => {
        const child = spawnServer(env);
        const exit = await withTimeout(child.exited, 10_000, { code: -1, signal: null });
        return { variable, env, exit, child };
      }),
    );
    for (const { variable, env, exit, child } of results) {
      const label = `${variable}=${env[variable]}`;
      expect(exit.code, `${label}: exit code`).not.toBe(0);
      expect(exit.code, `${label}: did not exit within 10 s`).not.toBe(-1);
      expect(exit.signal, label).toBeNull();
      const naming = child.stderr.filter((l) => l.includes(variable));
      expect(naming.length, `${label}: stderr ${JSON.stringify(child.stderr)}`).toBeGreaterThanOrEqual(1);
      expect(
        child.stderr.some((l) => /^\s+at /.test(l)),
        `${label}: stack trace on stderr`,
      ).toBe(false);
      expect(
        [...child.stdout, ...child.stderr].some((l) => l.includes('listening')),
        `${label}: printed listening`,
      ).toBe(false);
    }
  }, 30_000);

  it('a port already in use stops the start with an error, not a half-started process', async () => {
    const occupant: TestServer = await startServer();
    try {
      const child = spawnServer({ PORT: String(occupant.port), HOST: '127.0.0.1', NEXUS_JWT_SECRET: PROCESS_SECRET });
      const exit = await withTimeout(child.exited, 10_000, { code: -1, signal: null });
      expect(exit.code).not.toBe(0);
      expect(exit.code).not.toBe(-1);
      expect(child.stderr.join('\n')).toMatch(/EADDRINUSE|in use/i);
      expect(child.stdout.some((l) => l.includes('listening'))).toBe(false);
      await expectOccupantServes(occupant);
    } finally {
      await occupant.close();
    }
  }, 20_000);
});

async function expectOccupantServes(server: TestServer): Promise<void> {
  const response = await fetch(`${server.url}/healthz`);
  expect(response.status).toBe(200);
}
