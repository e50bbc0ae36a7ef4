/**
 * `GET /api/telemetry` and `GET /api/telemetry/metrics` on a real server fed by real agent
 * connections. The server's clock is injected and moved by the test, one second per round of
 * telemetry, so two minutes of rollups take a fraction of a second and each value lands in a known
 * bucket; buckets close on the server's own timer and on the next message, as in production.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntil } from '../../helpers/raw.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { tokenFor } from '../../helpers/tokens.js';
import { TestClient } from '../../helpers/ws-client.js';

/** A round start: 00:00:00.200 on a whole minute, so 120 rounds fill two whole 1 min buckets. */
const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);
const clock = { ms: T0 + 200 };
let server: TestServer;
let viewer: string;
const agents: Record<string, TestClient> = {};

interface Answer {
  metric: string;
  step: string;
  from: number;
  to: number;
  fleet: { t: number; min: number; median: number; max: number; agents: number }[];
  agents: Record<string, { t: number; avg: number; min: number; max: number; last: number }[]>;
}

async function get(path: string, token: string | null = viewer): Promise<Response> {
  return fetch(`${server.url}${path}`, token === null ? {} : { headers: { authorization: `Bearer ${token}` } });
}

/**
 * Agent buckets are kept as 8-bit codes on a grid of 1, 2 or 5 times a power of ten (values here
 * sit on it: whole numbers and halves): compare them within a hundredth, the fleet's exactly.
 */
function expectClose(actual: Record<string, number> | undefined, expected: Record<string, number>): void {
  expect(Object.keys(actual ?? {}).sort()).toEqual(Object.keys(expected).sort());
  for (const [key, value] of Object.entries(expected)) expect(actual![key], key).toBeCloseTo(value, 2);
}

async function telemetry(query: string): Promise<Answer> {
  const response = await get(`/api/telemetry?${query}`);
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as Answer;
}

async function expectError(path: string, status: number, code: string): Promise<string> {
  const response = await get(path);
  const body = (await response.json()) as { error: { code: string; message: string } };
  expect(response.status, JSON.stringify(body)).toBe(status);
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(0);
  return body.error.message;
}

beforeAll(async () => {
  server = await startServer({ deps: { now: () => clock.ms } });
  viewer = await tokenFor('telemetry-viewer', 'viewer');
  for (const id of ['agent_a', 'agent_b', 'agent_c'])
    agents[id] = await TestClient.connect(server.wsUrl, await tokenFor(id, 'agent'));
  // Two minutes: agent_a reports cpu = second, agent_b cpu = 100 + second and mem; agent_c only
  // every other second (its 1 s buckets in between are gaps), and never in the second 30.
  for (let s = 0; s < 120; s++) {
    const acks = [
      agents.agent_a!.publish('telemetry', { agent_id: 'agent_a', cpu_usage: s }),
      agents.agent_b!.publish('telemetry', { agent_id: 'agent_b', cpu_usage: 100 + s, memory_mb: 512 }),
    ];
    if (s % 2 === 0 && s !== 30)
      acks.push(agents.agent_c!.publish('telemetry', { agent_id: 'agent_c', cpu_usage: 50, note: 'text' }));
    for (const ack of await Promise.all(acks)) expect(ack.type).toBe('ack');
    clock.ms += 1000;
  }
  // The last second closes on the server's timer.
  expect(
    await pollUntil(async () => (await telemetry(`metric=cpu_usage&step=1m&from=${T0}`)).fleet.length === 2, 10_000),
  ).toBe(true);
});
afterAll(async () => {
  await Promise.all(Object.values(agents).map((client) => client.close()));
  await server.close();
});

describe('GET /api/telemetry', () => {
  it('answers 1 s buckets per agent (avg, min, max, last) and the fleet band, oldest first, gaps absent', async () => {
    const answer = await telemetry(
      `metric=cpu_usage&step=1s&from=${T0}&to=${T0 + 9_999}&agent_id=agent_a&agent_id=agent_c`,
    );
    expect(answer).toMatchObject({ metric: 'cpu_usage', step: '1s', from: T0, to: T0 + 9_999 });
    expect(answer.agents.agent_a).toEqual(
      Array.from({ length: 10 }, (_, s) => ({ t: T0 + s * 1000, avg: s, min: s, max: s, last: s })),
    );
    // agent_c every other second: the seconds in between are absent, never 0.
    expect(answer.agents.agent_c!.map((b) => b.t)).toEqual([0, 2, 4, 6, 8].map((s) => T0 + s * 1000));
    expect(answer.fleet).toHaveLength(10);
    expect(answer.fleet[0]).toEqual({ t: T0, min: 0, median: 50, max: 100, agents: 3 });
    expect(answer.fleet[1]).toEqual({ t: T0 + 1000, min: 1, median: 51, max: 101, agents: 2 });
  });

  it('answers 10 s buckets over every value of their span', async () => {
    const answer = await telemetry(`metric=cpu_usage&step=10s&from=${T0}&to=${T0 + 119_999}&agent_id=agent_a`);
    expect(answer.step).toBe('10s');
    const buckets = answer.agents.agent_a!;
    expect(buckets).toHaveLength(12);
    expectClose(buckets[3], { t: T0 + 30_000, avg: 34.5, min: 30, max: 39, last: 39 });
    expect(answer.fleet[3]).toEqual({ t: T0 + 30_000, min: 34.5, median: 50, max: 134.5, agents: 3 });
  });

  it('answers 1 min buckets', async () => {
    const answer = await telemetry(`metric=cpu_usage&step=1m&from=${T0}&to=${T0 + 119_999}&agent_id=agent_b`);
    expect(answer.agents.agent_b).toHaveLength(2);
    expectClose(answer.agents.agent_b![0], { t: T0, avg: 129.5, min: 100, max: 159, last: 159 });
    expectClose(answer.agents.agent_b![1], { t: T0 + 60_000, avg: 189.5, min: 160, max: 219, last: 219 });
    expect(answer.fleet.map((b) => b.agents)).toEqual([3, 3]);
  });

  it('answers the highest agents by average over the range when no agent_id is given', async () => {
    const answer = await telemetry(`metric=cpu_usage&step=1m&from=${T0}`);
    // Averages over the two minutes: agent_b 159.5, agent_a 59.5, agent_c 50.
    expect(Object.keys(answer.agents)).toEqual(['agent_b', 'agent_a', 'agent_c']);
  });

  it('defaults: to = now, from = 15 min before, step the finest covering the range in at most 1000 buckets', async () => {
    const recent = await telemetry('metric=cpu_usage');
    expect(recent.step).toBe('1s');
    expect(recent.to).toBe(clock.ms);
    expect(recent.from).toBe(clock.ms - 15 * 60_000);
    expect(recent.fleet).toHaveLength(120);
    const hour = await telemetry(`metric=cpu_usage&from=${clock.ms - 3_600_000}`);
    expect(hour.step).toBe('10s');
    expect(hour.fleet).toHaveLength(12);
    const day = await telemetry(`metric=cpu_usage&from=${new Date(clock.ms - 20 * 3_600_000).toISOString()}`);
    expect(day.step).toBe('1m');
    expect(day.fleet).toHaveLength(2);
  });

  it('takes ISO-8601 times and answers what is kept for a range reaching past the retention', async () => {
    const iso = await telemetry(
      `metric=cpu_usage&step=1s&from=${new Date(T0 - 86_400_000).toISOString()}&to=${new Date(T0 + 2_500).toISOString()}`,
    );
    expect(iso.fleet.map((b) => b.t)).toEqual([T0, T0 + 1000, T0 + 2000]);
  });

  it('names an agent asked for that has no bucket in the range with an empty list', async () => {
    const answer = await telemetry(`metric=memory_mb&step=1m&from=${T0}&agent_id=agent_a&agent_id=agent_b`);
    expect(answer.agents.agent_a).toEqual([]);
    expect(answer.agents.agent_b).toHaveLength(2);
  });

  it('refuses a bad step, a bad range, a missing metric or too many agents with 400, fast', async () => {
    await expectError('/api/telemetry?metric=cpu_usage&step=5s', 400, 'invalid_request');
    await expectError(`/api/telemetry?metric=cpu_usage&from=${T0 + 10}&to=${T0}`, 400, 'invalid_request');
    await expectError('/api/telemetry?metric=cpu_usage&from=yesterday', 400, 'invalid_request');
    await expectError('/api/telemetry?metric=cpu_usage&to=2026-13-45T99:00:00Z', 400, 'invalid_request');
    await expectError('/api/telemetry', 400, 'invalid_request');
    await expectError(`/api/telemetry?metric=${'m'.repeat(129)}`, 400, 'invalid_request');
    await expectError('/api/telemetry?metric=cpu_usage&metric=memory_mb', 400, 'invalid_request');
    await expectError('/api/telemetry?metric=cpu_usage&agent_id=', 400, 'invalid_request');
    const many = Array.from({ length: 101 }, (_, i) => `agent_id=a${i}`).join('&');
    await expectError(`/api/telemetry?metric=cpu_usage&${many}`, 400, 'invalid_request');
    const started = performance.now();
    const thousand = Array.from({ length: 1000 }, (_, i) => `agent_id=${i}`).join('&');
    await expectError(`/api/telemetry?metric=cpu_usage&${thousand}`, 400, 'invalid_request');
    expect(performance.now() - started).toBeLessThan(500);
    // 100 agents over 6 h of 10 s buckets would be 218,160 buckets: refused before reading.
    const hundred = Array.from({ length: 100 }, (_, i) => `agent_id=a${i}`).join('&');
    const message = await expectError(
      `/api/telemetry?metric=cpu_usage&step=10s&from=${clock.ms - 6 * 3_600_000}&${hundred}`,
      400,
      'invalid_request',
    );
    expect(message).toMatch(/too many buckets/);
  });

  it('answers 404 for a metric nobody reports (a text field is not a metric)', async () => {
    await expectError('/api/telemetry?metric=disk_io', 404, 'not_found');
    await expectError('/api/telemetry?metric=note', 404, 'not_found');
    await expectError('/api/telemetry?metric=agent_id', 404, 'not_found');
  });

  it('answers 401 without a token and 403 with a bad one', async () => {
    expect((await get('/api/telemetry?metric=cpu_usage', null)).status).toBe(401);
    expect((await get('/api/telemetry?metric=cpu_usage', 'not-a-token')).status).toBe(403);
    expect((await get('/api/telemetry/metrics', null)).status).toBe(401);
  });
});

describe('GET /api/telemetry/metrics', () => {
  it('lists every metric with how many agents report it, most reported first', async () => {
    const response = await get('/api/telemetry/metrics');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual([
      { metric: 'cpu_usage', agents: 3 },
      { metric: 'memory_mb', agents: 1 },
    ]);
  });
});
