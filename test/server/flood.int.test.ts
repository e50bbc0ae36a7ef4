/**
 * Floods, of frames and of bytes: a connection far over its rate stops being read, so TCP pushes
 * back on its sender instead of the server parsing and refusing every frame, and one still
 * flooding after 2 s is closed with 1008. REST publishes share the role's byte rate. A bystander's round trip is measured alone and during each flood. The
 * flooders run in a child process (test/helpers/flooder.mjs) writing pre-built frames straight
 * to TCP, so the figures are the server's, not the test client's.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawnNode, stopAll } from '../helpers/node-process.js';
import { metricValue, pollUntil, scrapeMetrics } from '../helpers/raw.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { tokenFor } from '../helpers/tokens.js';
import { TestClient, sleep } from '../helpers/ws-client.js';

interface FloodResult {
  readonly frames: number;
  readonly perSecond: number;
  readonly replies: number;
  readonly closeCodes: Record<string, number>;
  readonly negotiated: number;
}

const FLOODERS = 20;
const FLOOD_MS = 3000;
/** Generous for a shared 2-core machine; the figure seen is printed. */
const BYSTANDER_P99_BOUND_MS = 250;

/** Pings one after another until `until()` turns true (at most `maxMs`); returns each round trip. */
async function pingRoundTrips(client: TestClient, until: () => boolean, maxMs: number): Promise<number[]> {
  const roundTrips: number[] = [];
  const deadline = Date.now() + maxMs;
  while (!until() && Date.now() < deadline) {
    const startedAt = performance.now();
    await client.request({ action: 'ping' }, 10_000);
    roundTrips.push(performance.now() - startedAt);
    await sleep(10);
  }
  return roundTrips;
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** Runs the flooder process against `server` and returns what it saw. */
async function runFlooders(server: TestServer, deflate: boolean, onDone: () => void): Promise<FloodResult> {
  const token = await tokenFor(`flooder-${deflate ? 'deflate' : 'plain'}`, 'agent');
  const options = { url: server.wsUrl, token, conns: FLOODERS, durationMs: FLOOD_MS, deflate };
  const child = spawnNode('test/helpers/flooder.mjs', [JSON.stringify(options)], {});
  const exit = await Promise.race([child.exited, sleep(FLOOD_MS + 15_000).then(() => undefined)]);
  onDone();
  if (!exit || exit.code !== 0) throw new Error(`flooder: ${JSON.stringify(exit)} ${child.stderr.join('\n')}`);
  return JSON.parse(child.stdout.at(-1)!) as FloodResult;
}

describe('limits: a connection flooding tiny frames stops being read, then is closed with 1008', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());
  afterEach(() => stopAll());

  for (const deflate of [false, true]) {
    it(`${FLOODERS} connections writing ${deflate ? 'compressed' : 'plain'} frames as fast as TCP takes them: all closed 1008, mostly unread; a bystander keeps its round trip`, async () => {
      const bystander = await TestClient.connect(server.wsUrl, await tokenFor(`bystander-${deflate}`, 'viewer'));
      const alone = await pingRoundTrips(bystander, () => false, 1000);
      const framesInBefore = metricValue(await scrapeMetrics(server), 'nexus_frames_in_total') ?? 0;
      let flooding = true;
      const during = pingRoundTrips(bystander, () => !flooding, FLOOD_MS + 20_000);
      const result = await runFlooders(server, deflate, () => (flooding = false));
      const roundTrips = await during;
      const framesIn = (metricValue(await scrapeMetrics(server), 'nexus_frames_in_total') ?? 0) - framesInBefore;
      const p99 = percentile(roundTrips, 99);
      console.log(
        `${deflate ? 'compressed' : 'plain'} flood: ${result.frames} frames offered (${result.perSecond}/s), ` +
          `${framesIn} handed over by ws, ${result.replies} replies, close codes ${JSON.stringify(result.closeCodes)}; ` +
          `bystander ping p50 ${percentile(alone, 50).toFixed(1)} / p99 ${percentile(alone, 99).toFixed(1)} ms alone, ` +
          `p50 ${percentile(roundTrips, 50).toFixed(1)} / p99 ${p99.toFixed(1)} / max ${Math.max(...roundTrips).toFixed(1)} ms during (${roundTrips.length} pings)`,
      );
      if (deflate) expect(result.negotiated).toBe(FLOODERS);
      expect(result.closeCodes).toEqual({ 1008: FLOODERS });
      // Each flooder got its burst answered and a hundred refusals, not one reply per frame.
      expect(result.replies).toBeLessThan(FLOODERS * 1000);
      expect(framesIn, 'most of the flood was never parsed').toBeLessThan(result.frames / 2);
      expect(p99, `bystander p99 ${p99.toFixed(1)} ms`).toBeLessThan(BYSTANDER_P99_BOUND_MS);
      await bystander.assertAlive();
      await bystander.close();
    }, 40_000);
  }
});

describe('limits: a connection just over its rate is paused, not closed, and served again', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it('a one-off burst of 600 frames: 200 served, 100 refused with their id, then 2 s unread; afterwards served normally', async () => {
    const client = await TestClient.connect(server.wsUrl, await tokenFor('one-off-burst', 'operator'));
    const bystander = await TestClient.connect(server.wsUrl, await tokenFor('one-off-bystander', 'viewer'));
    for (let i = 0; i < 600; i++) client.send({ action: 'ping', id: i });
    const limited = () => client.frames.filter((f) => f.type === 'error' && f.code === 'rate_limited');
    expect(await pollUntil(() => limited().some((f) => /not read/.test(String(f.message))), 5000)).toBe(true);
    const pausedAt = Date.now();
    await bystander.assertAlive();
    // Every answer came with its id; the frames dropped while the connection was not read got none.
    const answered = [...client.ofType('pong'), ...limited()].map((f) => f.id);
    expect(new Set(answered).size).toBe(answered.length);
    expect(client.ofType('pong').length).toBeGreaterThanOrEqual(200);
    expect(limited().length).toBe(101);
    expect(answered.length).toBeLessThan(600);
    // Not read for a while: a ping sent now is answered only once the pause is over.
    const pong = await client.request({ action: 'ping', id: 'after' }, 5000);
    expect(pong).toMatchObject({ type: 'pong', id: 'after' });
    expect(Date.now() - pausedAt).toBeGreaterThanOrEqual(1500);
    // Calm since: served normally, not closed.
    await sleep(1100);
    await client.assertAlive();
    expect(client.socket.readyState).toBe(client.socket.OPEN);
    const dropped = metricValue(await scrapeMetrics(server), 'nexus_dropped_total', 'reason="rate_limited"') ?? 0;
    expect(dropped).toBeGreaterThanOrEqual(600 - client.ofType('pong').length - 1);
    await Promise.all([client.close(), bystander.close()]);
  }, 15_000);
});

describe('limits: bytes per connection and per user (NEXUS_POLICY: agent 64 KiB/s, bursts of 256 KiB)', () => {
  let server: TestServer;
  const dir = mkdtempSync(join(tmpdir(), 'nexus-bytes-'));
  const KIB = 1024;
  beforeAll(async () => {
    const policy = {
      roles: {
        viewer: { subscribe: ['*'], publish: [] },
        agent: { subscribe: ['*'], publish: ['*'], rate: { bytesPerSecond: 64 * KIB, bytesBurst: 256 * KIB } },
        operator: { subscribe: ['*'], publish: ['*'] },
      },
    };
    const path = join(dir, 'policy.json');
    writeFileSync(path, JSON.stringify(policy));
    server = await startServer({ env: { NEXUS_POLICY: path } });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const publishFrame = (channel: string, id: number, bytes: number) =>
    JSON.stringify({ action: 'publish', channel, id, payload: 'b'.repeat(bytes) });

  it('an agent over its byte rate: rate_limited with the frame id, reading paused, closed 1008 as it goes on; a bystander is served', async () => {
    const bystander = await TestClient.connect(server.wsUrl, await tokenFor('bytes-bystander', 'viewer'));
    const agent = await TestClient.connect(server.wsUrl, await tokenFor('bytes-agent', 'agent'));
    // 24 × 32 KiB at once: 768 KiB, three times the burst, still arriving 2 s later.
    for (let i = 0; i < 24; i++) agent.send(publishFrame('bytes.agent', i, 32 * KIB));
    const limited = await agent.next((f) => f.type === 'error' && f.code === 'rate_limited', 5000);
    expect(limited).toMatchObject({ id: expect.any(Number) as number });
    expect(String(limited.message)).toMatch(/65536 bytes per second.*not read/);
    expect(agent.ofType('ack').map((f) => f.id)).toEqual(Array.from({ length: Number(limited.id) }, (_, i) => i));
    expect(agent.ofType('ack').length).toBeGreaterThanOrEqual(6);
    expect(agent.ofType('ack').length).toBeLessThanOrEqual(8);
    await bystander.assertAlive();
    const closed = await Promise.race([agent.closed, sleep(6000).then(() => ({ code: -1, reason: 'open' }))]);
    expect(closed.code).toBe(1008);
    expect(agent.ofType('ack').length).toBeLessThanOrEqual(8 + 5);
    await bystander.assertAlive();
    await bystander.close();
  }, 15_000);

  it('REST publishes of the role count against the same byte rate (429), whether or not the body announces its length', async () => {
    const token = await tokenFor('bytes-rest-agent', 'agent');
    const post = (body: string, chunked = false) =>
      fetch(`${server.url}/api/publish`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        // A stream body goes out chunked, without a content-length.
        body: chunked ? new Blob([body]).stream() : body,
        ...(chunked ? { duplex: 'half' } : {}),
      } as RequestInit);
    const body = JSON.stringify({ channel: 'bytes.rest', payload: 'r'.repeat(60 * KIB) });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await post(body)).status);
    expect(statuses.slice(0, 4)).toEqual([202, 202, 202, 202]);
    expect(statuses.slice(4)).toEqual([429, 429]);
    const refused = await post(body);
    expect(await refused.json()).toMatchObject({ error: { code: 'rate_limited', message: /bytes per second/ } });
    // A chunked body is counted once read: the bucket is still empty.
    expect((await post(body, true)).status).toBe(429);
  });

  it('an operator keeps the default 16 MiB/s, bursts of 64 MiB: 8 MiB at once all pass', async () => {
    const operator = await TestClient.connect(server.wsUrl, await tokenFor('bytes-operator', 'operator'));
    for (let i = 0; i < 32; i++) operator.send(publishFrame('bytes.operator', i, 256 * KIB));
    expect(await pollUntil(() => operator.frames.length >= 33, 10_000)).toBe(true);
    expect(operator.ofType('ack')).toHaveLength(32);
    expect(operator.ofType('error')).toEqual([]);
    await operator.close();
  });
});
