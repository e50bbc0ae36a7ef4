/**
 * REST API: /healthz, /metrics, POST /api/publish and the uniform error bodies.
 * The server runs with NEXUS_MAX_PAYLOAD=65536 so the 413 case stays small.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue, pollUntil, scrapeMetrics } from '../helpers/raw.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { signToken, tokenFor } from '../helpers/tokens.js';
import { TestClient } from '../helpers/ws-client.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ env: { NEXUS_MAX_PAYLOAD: '65536' } });
});
afterAll(() => server.close());

let userCounter = 0;
const freshUser = (prefix: string) => `${prefix}-${++userCounter}`;

async function publishRaw(
  token: string | undefined,
  body: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${server.url}/api/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body,
  });
}

/** Asserts status, JSON content type and the `{"error":{"code","message"}}` shape; returns the code. */
async function expectErrorBody(response: Response, status: number, code?: string): Promise<string> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  expect(response.headers.get('content-type') ?? '').toMatch(/^application\/json/);
  const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
  expect(Object.keys(body)).toEqual(['error']);
  expect(typeof body.error?.code).toBe('string');
  expect(typeof body.error?.message).toBe('string');
  expect((body.error?.message as string).length).toBeGreaterThan(0);
  expect(text).not.toMatch(/\n\s+at /); // no stack trace
  if (code !== undefined) expect(body.error?.code).toBe(code);
  return body.error!.code as string;
}

describe('GET /healthz', () => {
  it('answers 200 {"status":"ok","broker":"memory","connections":n} with n = open WebSockets', async () => {
    const health = async () => {
      const response = await fetch(`${server.url}/healthz`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type') ?? '').toMatch(/^application\/json/);
      return (await response.json()) as { status: string; broker: string; connections: number };
    };
    const base = (await health()).connections;
    expect(await health()).toEqual({ status: 'ok', broker: 'memory', connections: base });
    const clients = await Promise.all(
      [0, 1, 2].map(async () => TestClient.connect(server.wsUrl, await tokenFor(freshUser('health'), 'viewer'))),
    );
    expect(await health()).toEqual({ status: 'ok', broker: 'memory', connections: base + 3 });
    await clients[0]!.close();
    expect(await pollUntil(async () => (await health()).connections === base + 2, 2000)).toBe(true);
    await Promise.all(clients.map((c) => c.close()));
    expect(await pollUntil(async () => (await health()).connections === base, 2000)).toBe(true);
  });

  it('needs no authentication', async () => {
    const response = await fetch(`${server.url}/healthz`, { headers: { authorization: 'Bearer garbage' } });
    expect(response.status).toBe(200);
  });
});

describe('GET /metrics', () => {
  const NAMES = [
    'nexus_connections',
    'nexus_frames_in_total',
    'nexus_frames_out_total',
    'nexus_bytes_in_total',
    'nexus_bytes_out_total',
    'nexus_dropped_total',
    'nexus_auth_failures_total',
    'nexus_channel_messages_total',
  ];

  it('is Prometheus text naming every documented metric, without authentication', async () => {
    // Make sure the labelled counters have at least one series.
    const op = await TestClient.connect(server.wsUrl, await tokenFor(freshUser('metrics-op'), 'operator'));
    await op.publish('rest.metrics.warmup', 1);
    op.send('not json');
    await op.next((f) => f.type === 'error');
    await TestClient.upgradeStatus(server.wsUrl);
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type') ?? '').toMatch(/^text\/plain/);
    const text = await response.text();
    for (const name of NAMES) {
      expect(text, name).toMatch(new RegExp(`^# TYPE ${name} (counter|gauge)$`, 'm'));
      expect(metricValue(text, name), `${name} has a sample`).toBeTypeOf('number');
    }
    expect(text).toMatch(/^nexus_channel_messages_total\{channel="rest\.metrics\.warmup"\} 1$/m);
    await op.close();
  });

  it('values move with traffic: connections, frames and bytes in/out, dropped, auth failures, per-channel messages', async () => {
    const before = await scrapeMetrics(server);
    const value = (text: string, name: string, labels?: string) => metricValue(text, name, labels) ?? 0;

    // A refused upgrade (no token → 401) and one with a bad token (403) count as auth failures.
    expect(await TestClient.upgradeStatus(server.wsUrl)).toBe(401);
    expect(await TestClient.upgradeStatus(`${server.wsUrl}?token=not-a-jwt`)).toBe(403);
    // A refused REST call too.
    await (await publishRaw(undefined, '{}')).arrayBuffer();

    const sub = await TestClient.connect(server.wsUrl, await tokenFor(freshUser('metrics-sub'), 'viewer'));
    const pub = await TestClient.connect(server.wsUrl, await tokenFor(freshUser('metrics-pub'), 'operator'));
    await sub.subscribe('rest.metrics.moving');
    for (let i = 0; i < 3; i++) await pub.publish('rest.metrics.moving', { i, pad: 'p'.repeat(100) });
    await sub.next((f) => f.type === 'message' && f.seq === 3);
    pub.send('{bad json');
    await pub.next((f) => f.type === 'error');
    const rest = await publishRaw(
      await tokenFor(freshUser('metrics-rest'), 'operator'),
      JSON.stringify({ channel: 'rest.metrics.moving', payload: 4 }),
    );
    expect(rest.status).toBe(202);
    await sub.next((f) => f.type === 'broadcast');

    const during = await scrapeMetrics(server);
    expect(value(during, 'nexus_connections')).toBe(server.connections());
    expect(value(during, 'nexus_connections')).toBeGreaterThanOrEqual(2);
    expect(
      value(during, 'nexus_auth_failures_total') - value(before, 'nexus_auth_failures_total'),
    ).toBeGreaterThanOrEqual(3);
    // In: subscribe + 3 publishes + 1 bad frame.
    expect(value(during, 'nexus_frames_in_total') - value(before, 'nexus_frames_in_total')).toBeGreaterThanOrEqual(5);
    expect(value(during, 'nexus_bytes_in_total') - value(before, 'nexus_bytes_in_total')).toBeGreaterThanOrEqual(300);
    // Out: 2 connected, subscribed, 3 acks, 3 messages, error, broadcast.
    expect(value(during, 'nexus_frames_out_total') - value(before, 'nexus_frames_out_total')).toBeGreaterThanOrEqual(
      11,
    );
    expect(value(during, 'nexus_bytes_out_total') - value(before, 'nexus_bytes_out_total')).toBeGreaterThanOrEqual(300);
    expect(value(during, 'nexus_dropped_total') - value(before, 'nexus_dropped_total')).toBeGreaterThanOrEqual(1);
    const channel = 'channel="rest.metrics.moving"';
    expect(
      value(during, 'nexus_channel_messages_total', channel) - value(before, 'nexus_channel_messages_total', channel),
    ).toBe(4);

    await Promise.all([sub.close(), pub.close()]);
    expect(
      await pollUntil(
        async () => value(await scrapeMetrics(server), 'nexus_connections') === value(during, 'nexus_connections') - 2,
        2000,
      ),
    ).toBe(true);
  });
});

describe('POST /api/publish', () => {
  it('answers 202 {"seq"} and subscribers get a broadcast with that seq', async () => {
    const channel = 'rest.publish.ok';
    const sub = await TestClient.connect(server.wsUrl, await tokenFor(freshUser('rest-sub'), 'viewer'));
    await sub.subscribe(channel);
    const publisher = freshUser('rest-op');
    const token = await tokenFor(publisher, 'operator');
    const first = await publishRaw(token, JSON.stringify({ channel, payload: { hello: 'world', n: [1, 2] } }));
    expect(first.status).toBe(202);
    const firstBody = (await first.json()) as { seq: number };
    expect(firstBody.seq).toBe(1);
    const broadcast = await sub.next((f) => f.type === 'broadcast');
    expect(broadcast).toMatchObject({ type: 'broadcast', channel, data: { hello: 'world', n: [1, 2] }, seq: 1 });
    expect(typeof broadcast.epoch).toBe('string');
    expect(new Date(broadcast.timestamp as string).toISOString()).toBe(broadcast.timestamp);
    expect(broadcast.from).toBe(publisher); // who said it: the REST caller

    // Any JSON payload, including scalars and null; seq keeps increasing.
    for (const [i, payload] of [42, 'text', null, [1, 'a'], false].entries()) {
      const response = await publishRaw(token, JSON.stringify({ channel, payload }));
      expect(response.status).toBe(202);
      expect(((await response.json()) as { seq: number }).seq).toBe(i + 2);
      expect(await sub.next((f) => f.type === 'broadcast')).toMatchObject({ data: payload, seq: i + 2 });
    }
    await sub.close();
  });

  it('honours the policy: a viewer gets 403 forbidden and nothing is delivered', async () => {
    const channel = 'rest.publish.forbidden';
    const sub = await TestClient.connect(server.wsUrl, await tokenFor(freshUser('rest-sub'), 'viewer'));
    await sub.subscribe(channel);
    const response = await publishRaw(
      await tokenFor(freshUser('rest-viewer'), 'viewer'),
      JSON.stringify({ channel, payload: 1 }),
    );
    await expectErrorBody(response, 403, 'forbidden');
    const agentOnCommands = await publishRaw(
      await tokenFor(freshUser('rest-agent'), 'agent'),
      JSON.stringify({ channel: 'commands', payload: { command: 'cancel_task', task_id: 't' } }),
    );
    await expectErrorBody(agentOnCommands, 403, 'forbidden');
    expect((await sub.subscribe(channel)).seq).toBe(0);
    expect(sub.ofType('broadcast')).toHaveLength(0);
    await sub.close();
  });

  it('needs a bearer token: missing → 401, invalid → 403', async () => {
    const body = JSON.stringify({ channel: 'rest.auth', payload: 1 });
    await expectErrorBody(await publishRaw(undefined, body), 401);
    await expectErrorBody(await publishRaw('not-a-jwt', body), 403);
    const wrongSecret = await signToken({
      userId: 'x',
      role: 'admin',
      expiresInSeconds: 60,
      secret: 'another-secret-another-secret-another-secret',
    });
    await expectErrorBody(await publishRaw(wrongSecret, body), 403);
  });

  describe('bad bodies', () => {
    let token: string;
    beforeAll(async () => {
      token = await tokenFor(freshUser('rest-bad'), 'admin');
    });

    it('invalid JSON → 400 invalid_json', async () => {
      for (const body of ['{"channel":', 'not json', "{'channel':'x'}", '{"channel":"x","payload":1}}']) {
        await expectErrorBody(await publishRaw(token, body), 400, 'invalid_json');
      }
    });

    it('missing channel, bad channel, missing payload, wrong body type → 400', async () => {
      const bodies: unknown[] = [
        { payload: 1 },
        { channel: '', payload: 1 },
        { channel: 'a b', payload: 1 },
        { channel: 'ä', payload: 1 },
        { channel: 'x'.repeat(129), payload: 1 },
        { channel: 5, payload: 1 },
        { channel: 'rest.bad' },
        [{ channel: 'rest.bad', payload: 1 }],
        'rest.bad',
        42,
        null,
      ];
      for (const body of bodies) {
        await expectErrorBody(await publishRaw(token, JSON.stringify(body)), 400);
      }
      await expectErrorBody(await publishRaw(token, ''), 400);
    });

    it('a body over NEXUS_MAX_PAYLOAD → 413', async () => {
      const body = JSON.stringify({ channel: 'rest.big', payload: 'b'.repeat(70_000) });
      await expectErrorBody(await publishRaw(token, body), 413);
      // Just under the limit is accepted.
      const fits = JSON.stringify({ channel: 'rest.big', payload: 'b'.repeat(60_000) });
      expect((await publishRaw(token, fits)).status).toBe(202);
    });

    it('a deeply nested body → 400, and the server keeps serving', async () => {
      const depth = 20_000; // stays under the 64 KiB body limit
      const arrays = `{"channel":"rest.deep","payload":${'['.repeat(depth)}${']'.repeat(depth)}}`;
      const objects = `{"channel":"rest.deep","payload":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`;
      expect(Buffer.byteLength(arrays)).toBeLessThan(65_536);
      expect(Buffer.byteLength(objects)).toBeLessThan(65_536);
      await expectErrorBody(await publishRaw(token, arrays), 400);
      await expectErrorBody(await publishRaw(token, objects), 400);
      const health = await fetch(`${server.url}/healthz`);
      expect(health.status).toBe(200);
      expect((await publishRaw(token, JSON.stringify({ channel: 'rest.deep', payload: [[[1]]] }))).status).toBe(202);
    });
  });

  it('more than ~200 publishes in a burst by one user → some 429 rate_limited; other users are not affected', async () => {
    const token = await tokenFor(freshUser('rest-burst'), 'operator');
    const body = JSON.stringify({ channel: 'rest.burst', payload: 1 });
    const startedAt = Date.now();
    // Bursts of 150 concurrent requests until one is refused (at most 6 bursts): a slow machine
    // refills the bucket during a burst, so one burst alone may not get past 200 + refill.
    const statuses: number[] = [];
    let refused: Response | undefined;
    for (let burst = 0; burst < 6 && !refused; burst++) {
      const responses = await Promise.all(Array.from({ length: 150 }, () => publishRaw(token, body)));
      for (const response of responses) {
        statuses.push(response.status);
        if (response.status === 429 && !refused) refused = response;
        else await response.arrayBuffer();
      }
    }
    const elapsedSeconds = (Date.now() - startedAt) / 1000;
    const accepted = statuses.filter((s) => s === 202).length;
    const limited = statuses.filter((s) => s === 429).length;
    expect(accepted + limited).toBe(statuses.length);
    expect(refused, `no 429 after ${statuses.length} publishes in ${elapsedSeconds} s`).toBeDefined();
    expect(accepted).toBeGreaterThanOrEqual(200);
    expect(accepted).toBeLessThanOrEqual(200 + Math.ceil(100 * elapsedSeconds) + 2);
    await expectErrorBody(refused!, 429, 'rate_limited');
    // Another user is not limited by the first one's burst.
    const other = await publishRaw(await tokenFor(freshUser('rest-other'), 'operator'), body);
    expect(other.status).toBe(202);
  }, 20_000);
});

describe('errors', () => {
  it('an unknown /api route → 404 JSON', async () => {
    const token = await tokenFor(freshUser('rest-404'), 'admin');
    for (const [method, path] of [
      ['GET', '/api/nope'],
      ['POST', '/api/nope/deeper'],
      ['GET', '/api/publish'],
      ['DELETE', '/api/publish'],
    ] as const) {
      const response = await fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
      await expectErrorBody(response, 404, 'not_found');
    }
  });

  it('the dev token route answers 404 JSON in production mode', async () => {
    const response = await fetch(`${server.url}/api/dev/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'x', role: 'admin' }),
    });
    await expectErrorBody(response, 404);
  });
});
