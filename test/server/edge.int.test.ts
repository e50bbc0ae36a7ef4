/**
 * The edge keeps one client from hurting the others: connections per user, REST bodies read
 * only after the token, HTTP time limits, malformed URLs, per-role REST publish rates, domain
 * checks and broker refusals on REST publishes, list limits, garbage bodies. Each limit is hit
 * while a bystander (another user's WebSocket ping, `GET /healthz`) keeps being served.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clientPool } from '../helpers/assertions.js';
import { expectServerServes, httpStatusOf, pollUntil, rawExchange } from '../helpers/raw.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { tokenFor } from '../helpers/tokens.js';
import { TestClient } from '../helpers/ws-client.js';
import {
  BrokerUnavailableError,
  type BrokerMessage,
  type PublishRequest,
  MemoryBroker,
} from '../../src/server/broker/index.js';

let userCounter = 0;
const freshUser = (prefix: string) => `${prefix}-${process.pid}-${++userCounter}`;

/** Log lines at level error (50) or above. */
function errorLogLines(server: TestServer): string[] {
  return server.logLines.filter((line) => (JSON.parse(line) as { level: number }).level >= 50);
}

/** A bystander is served promptly: its ping gets a pong and `GET /healthz` answers 200, each within 1 s. */
async function expectBystanderServed(server: TestServer, bystander: TestClient): Promise<void> {
  const pingStartedAt = Date.now();
  await bystander.assertAlive();
  expect(Date.now() - pingStartedAt, 'bystander ping').toBeLessThan(1000);
  const healthStartedAt = Date.now();
  const health = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(1000) });
  expect(health.status).toBe(200);
  await health.arrayBuffer();
  expect(Date.now() - healthStartedAt, 'bystander /healthz').toBeLessThan(1000);
}

/** Status and JSON body (when any) of a raw HTTP answer. */
function parseAnswer(text: string): { status: number | undefined; headers: string; body: unknown } {
  const split = text.indexOf('\r\n\r\n');
  const headers = split < 0 ? text : text.slice(0, split);
  const rest = split < 0 ? '' : text.slice(split + 4);
  let body: unknown = rest;
  try {
    body = JSON.parse(rest);
  } catch {
    // not JSON: keep the text
  }
  return { status: httpStatusOf(text), headers, body };
}

function upgradeRequest(port: number, path: string): string {
  return (
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'
  );
}

/**
 * Opens a WebSocket and keeps it open on success (101), or reports the refusal's status.
 * Unlike `TestClient.upgradeStatus`, an accepted socket is not closed, so it keeps its slot.
 */
function openOrRefuse(url: string): Promise<{ status: number; socket?: WebSocket }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.on('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0 });
      res.resume();
      socket.terminate();
    });
    socket.on('open', () => resolve({ status: 101, socket }));
    socket.on('error', reject);
  });
}

function closeSocket(socket: WebSocket): Promise<void> {
  if (socket.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    socket.once('close', () => resolve());
    socket.close();
  });
}

describe('connections per user (NEXUS_MAX_CONNECTIONS_PER_USER=3)', () => {
  const LIMIT = 3;
  let server: TestServer;
  const pool = clientPool();
  const sockets: WebSocket[] = [];

  beforeAll(async () => {
    server = await startServer({ env: { NEXUS_MAX_CONNECTIONS_PER_USER: String(LIMIT) }, captureLogs: true });
  });
  afterEach(async () => {
    await Promise.all([pool.closeAll(), ...sockets.splice(0).map(closeSocket)]);
  });
  afterAll(async () => {
    expect(errorLogLines(server)).toEqual([]);
    await server.close();
  });

  it('the 4th upgrade of one user gets 429 too_many_connections; another user still connects; closing one frees a slot', async () => {
    const bystander = await pool.connect(server.wsUrl, await tokenFor(freshUser('bystander')));
    const token = await tokenFor(freshUser('greedy'), 'agent');
    const own = [];
    for (let i = 0; i < LIMIT; i++) own.push(await pool.connect(server.wsUrl, token));

    const refused = await rawExchange(server.port, upgradeRequest(server.port, `/ws?token=${token}`));
    const answer = parseAnswer(refused.text);
    expect(answer.status, refused.text).toBe(429);
    expect(answer.headers).toMatch(/^content-type: application\/json/im);
    expect(answer.body).toMatchObject({ error: { code: 'too_many_connections', message: expect.any(String) } });
    expect(refused.closedByServer).toBe(true);
    expect(await TestClient.upgradeStatus(`${server.wsUrl}?token=${token}`)).toBe(429);
    // The compatibility path counts against the same quota.
    expect(await TestClient.upgradeStatus(`ws://127.0.0.1:${server.port}/?token=${token}`)).toBe(429);

    // Another user is not affected, and the bystander is served while the greedy one is refused.
    const other = await pool.connect(server.wsUrl, await tokenFor(freshUser('other')));
    await other.assertAlive();
    await expectBystanderServed(server, bystander);
    for (const client of own) await client.assertAlive();

    await own[0]!.close();
    const freed = await pollUntil(async () => {
      const attempt = await openOrRefuse(`${server.wsUrl}?token=${token}`);
      if (attempt.socket) sockets.push(attempt.socket);
      return attempt.status === 101;
    }, 3000);
    expect(freed, 'a slot is free again after one connection closed').toBe(true);
    expect(await TestClient.upgradeStatus(`${server.wsUrl}?token=${token}`)).toBe(429);
  });

  it('a burst of 10 simultaneous upgrades of one user opens exactly 3', async () => {
    const token = await tokenFor(freshUser('burst'), 'operator');
    const attempts = await Promise.all(
      Array.from({ length: 10 }, () => openOrRefuse(`${server.wsUrl}?token=${token}`)),
    );
    for (const attempt of attempts) if (attempt.socket) sockets.push(attempt.socket);
    const statuses = attempts.map((a) => a.status).sort();
    expect(statuses).toEqual([101, 101, 101, ...Array<number>(7).fill(429)]);
  });

  it('failed handshakes give their slot back: 5 bad upgrades with a valid token, then 3 good ones', async () => {
    const token = await tokenFor(freshUser('broken'), 'viewer');
    const badHandshake =
      `GET /ws?token=${token} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nUpgrade: websocket\r\n` +
      'Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n'; // no Sec-WebSocket-Key
    for (let i = 0; i < 5; i++) {
      const { text } = await rawExchange(server.port, badHandshake);
      expect(httpStatusOf(text)).toBe(400);
    }
    for (let i = 0; i < LIMIT; i++) await pool.connect(server.wsUrl, token);
    expect(await TestClient.upgradeStatus(`${server.wsUrl}?token=${token}`)).toBe(429);
  });
});

describe('REST bodies are read only after the token is checked', () => {
  let server: TestServer;
  const pool = clientPool();

  beforeAll(async () => {
    server = await startServer({ captureLogs: true });
  });
  afterEach(() => pool.closeAll());
  afterAll(async () => {
    expect(errorLogLines(server)).toEqual([]);
    await server.close();
  });

  const postHead = (path: string, contentLength: number, extra = '') =>
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${contentLength}\r\n${extra}\r\n`;

  it('a 1 MB POST without a token that sent only 1 KB of its body gets 401 at once, and the connection is closed', async () => {
    for (const path of ['/api/publish', '/api/tasks', '/api/nope']) {
      const data = postHead(path, 1_048_576) + '{"channel":"x","payload":"' + 'a'.repeat(1000);
      const { text, closedByServer } = await rawExchange(server.port, data, 3000);
      const answer = parseAnswer(text);
      expect(answer.status, `${path}: ${text.slice(0, 120)}`).toBe(401);
      expect(answer.headers).toMatch(/^connection: close/im);
      expect(answer.body).toMatchObject({ error: { code: 'unauthorized' } });
      expect(closedByServer, `${path}: connection closed without waiting for the body`).toBe(true);
    }
  });

  it('the same with an invalid token → 403, closed; a chunked body without a token → 401, closed', async () => {
    const withBadToken = postHead('/api/publish', 1_048_576, 'Authorization: Bearer not-a-jwt\r\n') + '{"channel":"x"';
    const bad = await rawExchange(server.port, withBadToken, 3000);
    expect(parseAnswer(bad.text).status, bad.text.slice(0, 120)).toBe(403);
    expect(bad.closedByServer).toBe(true);

    const chunked =
      'POST /api/publish HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
      'Transfer-Encoding: chunked\r\n\r\n400\r\n' +
      'x'.repeat(1024) +
      '\r\n';
    const open = await rawExchange(server.port, chunked, 3000);
    expect(parseAnswer(open.text).status, open.text.slice(0, 120)).toBe(401);
    expect(open.closedByServer).toBe(true);
  });

  it('with a valid token the body is read: a partial body gets no answer yet', async () => {
    const token = await tokenFor(freshUser('reader'), 'operator');
    const data = postHead('/api/publish', 1000, `Authorization: Bearer ${token}\r\n`) + '{"channel":"edge.partial"';
    const { text, closedByServer } = await rawExchange(server.port, data, 500);
    expect(text).toBe('');
    expect(closedByServer).toBe(false);
  });

  it('20 anonymous 1 MB posts at once are refused and cut while a bystander is served', async () => {
    const bystander = await pool.connect(server.wsUrl, await tokenFor(freshUser('bystander')));
    const body = Buffer.alloc(1_048_576, 'a');
    const attackers = Array.from({ length: 20 }, () =>
      rawExchange(server.port, Buffer.concat([Buffer.from(postHead('/api/publish', body.length)), body]), 5000),
    );
    await expectBystanderServed(server, bystander);
    for (const { text, closedByServer } of await Promise.all(attackers)) {
      // The answer may be lost when the server resets a connection whose body it never read.
      if (text !== '') expect(httpStatusOf(text)).toBe(401);
      expect(closedByServer).toBe(true);
    }
    await expectBystanderServed(server, bystander);
  });

  it('with a token: invalid JSON → 400 invalid_json, deep JSON → 400, and the server keeps serving', async () => {
    const token = await tokenFor(freshUser('garbage'), 'operator');
    const post = (body: string) =>
      fetch(`${server.url}/api/publish`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body,
      });
    for (const body of ['{"channel":', '\u0000', '{"a":1}}', '\uFEFF{']) {
      const response = await post(body);
      expect(response.status, body).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: 'invalid_json' } });
    }
    const deep = await post(`{"channel":"edge.deep","payload":${'['.repeat(50_000)}${']'.repeat(50_000)}}`);
    expect(deep.status).toBe(400);
    expect(await deep.json()).toMatchObject({ error: { code: 'invalid_request' } });
    await expectServerServes(server);
  });
});

describe('the dev token route (dev mode) has its own small body limit', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ env: { NEXUS_JWT_SECRET: undefined }, captureLogs: true });
  });
  afterAll(async () => {
    expect(errorLogLines(server)).toEqual([]);
    await server.close();
  });

  it('a small body gets a token; a body over 4 KiB → 413, without reading it', async () => {
    const ok = await fetch(`${server.url}/api/dev/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'dev-user', role: 'operator' }),
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ token: expect.any(String), userId: 'dev-user' });

    const big = await fetch(`${server.url}/api/dev/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'dev-user', role: 'operator', pad: 'p'.repeat(5000) }),
    });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: { code: 'payload_too_large' } });

    // Announced as 1 MB, 100 bytes sent: refused at once from the announced length.
    const head = 'POST /api/dev/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1048576\r\n\r\n';
    const { text, closedByServer } = await rawExchange(server.port, head + 'x'.repeat(100), 3000);
    expect(httpStatusOf(text), text.slice(0, 120)).toBe(413);
    expect(closedByServer).toBe(true);
  });
});

describe('HTTP time limits (headers 300 ms, whole request 600 ms)', () => {
  let server: TestServer;
  const pool = clientPool();

  beforeAll(async () => {
    server = await startServer({ deps: { httpTimeouts: { headersMs: 300, requestMs: 600 } }, captureLogs: true });
  });
  afterEach(() => pool.closeAll());
  afterAll(async () => {
    expect(errorLogLines(server)).toEqual([]);
    await server.close();
  });

  it('headers that stop half-way → 408 and the connection is closed; a bystander is served meanwhile', async () => {
    const bystander = await pool.connect(server.wsUrl, await tokenFor(freshUser('bystander')));
    const stalled = rawExchange(server.port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a', 5000);
    await expectBystanderServed(server, bystander);
    const { text, closedByServer } = await stalled;
    expect(httpStatusOf(text), text).toBe(408);
    expect(parseAnswer(text).body).toMatchObject({ error: { code: 'request_timeout' } });
    expect(closedByServer).toBe(true);
  });

  it('a body that stops half-way (valid token) → 408 and the connection is closed; a bystander is served meanwhile', async () => {
    const bystander = await pool.connect(server.wsUrl, await tokenFor(freshUser('bystander')));
    const token = await tokenFor(freshUser('slow-body'), 'operator');
    const data =
      'POST /api/publish HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
      `Authorization: Bearer ${token}\r\nContent-Length: 1000\r\n\r\n{"channel":"edge.slow","payload":`;
    const startedAt = Date.now();
    const stalled = rawExchange(server.port, data, 5000);
    await expectBystanderServed(server, bystander);
    const { text, closedByServer } = await stalled;
    expect(httpStatusOf(text), text).toBe(408);
    expect(closedByServer).toBe(true);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(500);
    await expectBystanderServed(server, bystander);
  });

  it('a WebSocket outlives the request time limit', async () => {
    const client = await pool.connect(server.wsUrl, await tokenFor(freshUser('long-lived')));
    await new Promise((resolve) => setTimeout(resolve, 1200));
    await client.assertAlive();
  });
});

describe('malformed URLs', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ captureLogs: true });
  });
  afterAll(() => server.close());

  it('answer 400 JSON (never 500), on the dashboard and the API, and log nothing at error level', async () => {
    const token = await tokenFor(freshUser('url'), 'admin');
    for (const path of ['/%ff', '/%', '/app/%E0%A4%A', '/api/tasks/%', '/api/tasks/%ff', '/api/%c0%af']) {
      for (const headers of [{}, { authorization: `Bearer ${token}` }, { accept: 'text/html' }]) {
        const { text } = await rawExchange(
          server.port,
          `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${Object.entries(headers)
            .map(([k, v]) => `${k}: ${v}\r\n`)
            .join('')}\r\n`,
        );
        const answer = parseAnswer(text);
        expect(answer.status, `${path}: ${text.slice(0, 120)}`).toBe(400);
        expect(answer.body).toMatchObject({ error: { code: 'invalid_request', message: expect.any(String) } });
        expect(text).not.toMatch(/\n\s+at /);
      }
    }
    // A query that does not decode is just a bad value.
    const query = await fetch(`${server.url}/api/tasks?status=%ff`, { headers: { authorization: `Bearer ${token}` } });
    expect(query.status).toBe(400);
    expect(errorLogLines(server)).toEqual([]);
  });

  it('a WebSocket upgrade to a malformed path → 404 JSON, a malformed token → 403; nothing at error level', async () => {
    const token = await tokenFor(freshUser('ws-url'), 'viewer');
    for (const path of ['/%ff', `/%ff?token=${token}`, `/ws%ff?token=${token}`, '/%']) {
      const { text } = await rawExchange(server.port, upgradeRequest(server.port, path));
      const answer = parseAnswer(text);
      expect(answer.status, `${path}: ${text.slice(0, 120)}`).toBe(404);
      expect(answer.body).toMatchObject({ error: { code: 'not_found' } });
    }
    const { text } = await rawExchange(server.port, upgradeRequest(server.port, '/ws?token=%ff%'));
    expect(httpStatusOf(text)).toBe(403);
    await expectServerServes(server);
    expect(errorLogLines(server)).toEqual([]);
  });
});

describe('REST publishes: rate per role, domain checks, broker refusals', () => {
  const DOWN_CHANNEL = 'edge.broker-down';
  /** A real memory broker that refuses one channel the way Redis refusing writes does. */
  class RefusingBroker extends MemoryBroker {
    override publish(request: PublishRequest): Promise<BrokerMessage> {
      if (request.channel === DOWN_CHANNEL)
        return Promise.reject(new BrokerUnavailableError('the broker refused the write'));
      return super.publish(request);
    }
  }

  let server: TestServer;
  let policyDir: string;
  const pool = clientPool();

  beforeAll(async () => {
    policyDir = mkdtempSync(join(tmpdir(), 'nexus-edge-'));
    const policyFile = join(policyDir, 'policy.json');
    writeFileSync(
      policyFile,
      JSON.stringify({
        roles: {
          viewer: { subscribe: ['*'], publish: [], rate: { perSecond: 0.01, burst: 1 } },
          agent: { subscribe: ['*'], publish: ['*', '!commands'] },
          operator: { subscribe: ['*'], publish: ['*'], rate: { perSecond: 5000, burst: 10000 } },
          admin: { subscribe: ['*'], publish: ['*'] },
        },
      }),
    );
    server = await startServer({
      env: { NEXUS_POLICY: policyFile },
      deps: { broker: new RefusingBroker({ historySize: 100 }) },
      captureLogs: true,
    });
  });
  afterEach(() => pool.closeAll());
  afterAll(async () => {
    expect(errorLogLines(server)).toEqual([]);
    await server.close();
    rmSync(policyDir, { recursive: true, force: true });
  });

  const publish = (token: string, channel: string, payload: unknown) =>
    fetch(`${server.url}/api/publish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel, payload }),
    });

  it('an operator whose role allows 5,000/s publishes 1,000 at once with none refused; a bystander is served', async () => {
    const bystander = await pool.connect(server.wsUrl, await tokenFor(freshUser('bystander')));
    const subscriber = await pool.connect(server.wsUrl, await tokenFor(freshUser('sub')));
    await subscriber.subscribe('edge.fast');
    const token = await tokenFor(freshUser('backend'), 'operator');
    const statuses: number[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const responses = await Promise.all(Array.from({ length: 100 }, (_, i) => publish(token, 'edge.fast', { i })));
      for (const response of responses) {
        statuses.push(response.status);
        await response.arrayBuffer();
      }
    }
    expect(statuses.filter((s) => s !== 202)).toEqual([]);
    expect(statuses).toHaveLength(1000);
    await subscriber.next((f) => f.type === 'broadcast' && f.seq === 1000, 10_000);
    await expectBystanderServed(server, bystander);
  }, 30_000);

  it('an agent keeps the default rate: a burst past 200 gets 429 rate_limited', async () => {
    const token = await tokenFor(freshUser('agent'), 'agent');
    const startedAt = Date.now();
    const statuses: number[] = [];
    let refused: Response | undefined;
    for (let burst = 0; burst < 6 && !refused; burst++) {
      const responses = await Promise.all(Array.from({ length: 150 }, () => publish(token, 'edge.slow-agent', 1)));
      for (const response of responses) {
        statuses.push(response.status);
        if (response.status === 429 && !refused) refused = response;
        else await response.arrayBuffer();
      }
    }
    const elapsedSeconds = (Date.now() - startedAt) / 1000;
    const accepted = statuses.filter((s) => s === 202).length;
    expect(refused, `no 429 after ${statuses.length} publishes`).toBeDefined();
    expect(await refused!.json()).toMatchObject({ error: { code: 'rate_limited' } });
    expect(accepted).toBeGreaterThanOrEqual(200);
    expect(accepted).toBeLessThanOrEqual(200 + Math.ceil(100 * elapsedSeconds) + 2);
    // Another agent is not limited by the first one's burst.
    expect((await publish(await tokenFor(freshUser('agent'), 'agent'), 'edge.slow-agent', 2)).status).toBe(202);
  }, 20_000);

  it('the rate is checked before the body is read: a limited user gets 429 at once for a half-sent 1 MB body', async () => {
    const token = await tokenFor(freshUser('viewer'), 'viewer');
    // The viewer role allows one publish per 100 s here; a viewer may not publish at all, so the
    // first attempt uses the token and is refused by the policy.
    const first = await publish(token, 'edge.viewer', 1);
    expect(first.status).toBe(403);
    const data =
      'POST /api/publish HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
      `Authorization: Bearer ${token}\r\nContent-Length: 1048576\r\n\r\n{"channel":"edge.viewer","payload":"`;
    const { text, closedByServer } = await rawExchange(server.port, data, 3000);
    expect(httpStatusOf(text), text.slice(0, 120)).toBe(429);
    expect(parseAnswer(text).body).toMatchObject({ error: { code: 'rate_limited' } });
    expect(closedByServer).toBe(true);
  });

  it('a command the domain refuses → 400 invalid_command and reaches nobody; a good one → 202', async () => {
    const watcher = await pool.connect(server.wsUrl, await tokenFor(freshUser('watcher')));
    await watcher.subscribe('commands');
    const token = await tokenFor(freshUser('ops'), 'operator');
    const refusals: unknown[] = [
      { command: 'format_disk', task_id: 'edge-t1' },
      { command: 'execute_task' },
      { command: 'execute_task', task_id: 'edge-t2', params: { blob: 'x'.repeat(17 * 1024) } },
      'execute_task',
    ];
    for (const payload of refusals) {
      const response = await publish(token, 'commands', payload);
      expect(response.status, JSON.stringify(payload).slice(0, 80)).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: 'invalid_command', message: expect.any(String) } });
    }
    const taskId = freshUser('edge-task');
    const good = await publish(token, 'commands', { command: 'execute_task', task_id: taskId });
    expect(good.status).toBe(202);
    const delivered = await watcher.next((f) => f.type === 'broadcast' && f.channel === 'commands');
    expect(delivered.data).toMatchObject({ task_id: taskId });
    expect(watcher.ofType('broadcast').filter((f) => f.channel === 'commands')).toHaveLength(1);
  });

  it('a publish the broker cannot take → 503 unavailable, and the next one on another channel works', async () => {
    const token = await tokenFor(freshUser('ops'), 'operator');
    const down = await publish(token, DOWN_CHANNEL, { x: 1 });
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ error: { code: 'unavailable', message: expect.any(String) } });
    expect((await publish(token, 'edge.up', { x: 1 })).status).toBe(202);
  });
});

describe('GET /api/tasks ?limit=', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ captureLogs: true });
  });
  afterAll(() => server.close());

  it('defaults to 100, accepts up to 1000, and refuses 1001 with a clear 400', async () => {
    const token = await tokenFor(freshUser('lister'), 'operator');
    const TASKS = 120;
    for (let i = 0; i < TASKS; i++) {
      const response = await fetch(`${server.url}/api/publish`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ channel: 'commands', payload: { command: 'execute_task', task_id: `list-${i}` } }),
      });
      expect(response.status).toBe(202);
    }
    expect(await pollUntil(() => server.tasks.list().length >= TASKS, 3000)).toBe(true);
    const get = async (query: string) => {
      const response = await fetch(`${server.url}/api/tasks${query}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return { status: response.status, body: (await response.json()) as unknown };
    };
    const byDefault = await get('');
    expect(byDefault.status).toBe(200);
    expect(byDefault.body).toHaveLength(100);
    expect((byDefault.body as { task_id: string }[])[0]!.task_id).toBe(`list-${TASKS - 1}`);
    expect((await get('?limit=1000')).body).toHaveLength(TASKS);
    expect((await get('?limit=5')).body).toHaveLength(5);
    const tooMany = await get('?limit=1001');
    expect(tooMany.status).toBe(400);
    expect(tooMany.body).toMatchObject({
      error: { code: 'invalid_request', message: expect.stringContaining('1000') },
    });
  });
});
