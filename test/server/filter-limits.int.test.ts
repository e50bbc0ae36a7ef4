/**
 * Filters are bounded per subscription (4 KiB of JSON in UTF-8) and per connection (64 KiB in
 * all), and a subscription costs the server a small multiple of its filter's bytes: many
 * connections holding their whole budget stay within a few times those bytes, and a bystander
 * subscribing meanwhile is answered at once.
 */
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MB, canForceGc, settledMemory } from '../helpers/memory.js';
import { pollUntil } from '../helpers/raw.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { tokenFor } from '../helpers/tokens.js';
import { TestClient } from '../helpers/ws-client.js';

const KIB = 1024;
let userCounter = 0;
const connect = async (server: TestServer, role = 'viewer') =>
  TestClient.connect(server.wsUrl, await tokenFor(`filters-${role}-${++userCounter}`, role));

/** Filters of at most `bytes` bytes of JSON: `agent_id` any of n distinct values of 16 characters. */
function agentFilter(tag: string, bytes: number): { agent_id: string[] } {
  const count = Math.floor((bytes - 16) / 19);
  return { agent_id: Array.from({ length: count }, (_, j) => `${j}-${tag}`.padEnd(16, '.').slice(0, 16)) };
}

describe('limits: filters per subscription and per connection', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it('a filter over 4 KiB of UTF-8 is refused with invalid_message, even with fewer characters', async () => {
    const client = await connect(server);
    const bystander = await connect(server);
    const filters = { a: 'é'.repeat(1000), b: 'é'.repeat(1000), c: 'é'.repeat(100) }; // ~2,100 characters, ~4,220 bytes
    expect(await client.subscribe('filters.utf8', { filters, id: 'big' })).toMatchObject({
      type: 'error',
      code: 'invalid_message',
      id: 'big',
    });
    expect(await client.subscribe('filters.utf8', { filters: { a: 'é'.repeat(1000) } })).toMatchObject({
      type: 'subscribed',
    });
    await bystander.assertAlive();
    await Promise.all([client.close(), bystander.close()]);
  });

  it('64 KiB of filters per connection: the subscription past it gets too_many_subscriptions with its id; unsubscribing frees its bytes', async () => {
    const client = await connect(server);
    const other = await connect(server);
    // 16 subscriptions of ~4,000 bytes: 64,000 of 65,536 bytes.
    for (let i = 0; i < 16; i++) {
      const reply = await client.subscribe(`filters.budget.${i}`, { filters: agentFilter(`c${i}`, 4000) });
      expect(reply, `subscription ${i}`).toMatchObject({ type: 'subscribed' });
    }
    const past = await client.subscribe('filters.budget.16', { filters: agentFilter('c16', 4000), id: 'past' });
    expect(past).toMatchObject({ type: 'error', code: 'too_many_subscriptions', id: 'past' });
    expect(String(past.message)).toMatch(/65536 bytes of filters/);
    // A small one still fits; the same filters again are not a new subscription.
    expect(await client.subscribe('filters.budget.small', { filters: { agent_id: 'a1' } })).toMatchObject({
      type: 'subscribed',
    });
    expect(await client.subscribe('filters.budget.0', { filters: agentFilter('c0', 4000) })).toMatchObject({
      type: 'subscribed',
    });
    // The budget is per connection: another connection has its own.
    expect(await other.subscribe('filters.budget.16', { filters: agentFilter('o16', 4000) })).toMatchObject({
      type: 'subscribed',
    });
    // Unsubscribing gives the bytes back.
    expect(await client.request({ action: 'unsubscribe', channel: 'filters.budget.3' })).toMatchObject({
      type: 'unsubscribed',
    });
    expect(await client.subscribe('filters.budget.16', { filters: agentFilter('c16', 4000) })).toMatchObject({
      type: 'subscribed',
    });
    await Promise.all([client.close(), other.close()]);
  });

  it('at its budget, subscribes sent in one burst are answered in order: too large refused, a held one repeated, room freed by an unsubscribe used', async () => {
    const client = await connect(server);
    const publisher = await connect(server, 'operator');
    for (let i = 0; i < 16; i++) {
      const reply = await client.subscribe(`filters.burst.${i}`, { filters: agentFilter(`b${i}`, 4000) });
      expect(reply, `subscription ${i}`).toMatchObject({ type: 'subscribed' });
    }
    // Every subscribe below is larger than what is left when it arrives; the server decides
    // each in turn, after the frames before it.
    const kept = agentFilter('kept', 4000);
    const held = agentFilter('b0', 4000);
    const invalid = { ...agentFilter('bad', 3900), empty: [] };
    const burst = [
      { action: 'subscribe', channel: 'filters.burst.16', filters: agentFilter('b16', 4000), id: 'too-large' },
      // The same filters as held, values reordered and one repeated: the same subscription.
      {
        action: 'subscribe',
        channel: 'filters.burst.0',
        filters: { agent_id: [...held.agent_id, held.agent_id[0]].reverse() },
        id: 'held',
      },
      { action: 'unsubscribe', channel: 'filters.burst.1', id: 'free-1' },
      { action: 'subscribe', channel: 'filters.burst.17', filters: kept, id: 'fits-now' },
      { action: 'unsubscribe', channel: 'filters.burst.2', id: 'free-2' },
      { action: 'subscribe', channel: 'filters.burst.18', filters: invalid, id: 'invalid' },
      { action: 'subscribe', channel: 'filters.burst.19', filters: agentFilter('b19', 4000), id: 'full-again' },
    ];
    for (const frame of burst) client.send(frame);
    const answers: Record<string, unknown> = {};
    for (const { id } of burst) {
      const frame = await client.next((f) => f.id === id, 10_000);
      answers[id] = frame.code ?? frame.type;
    }
    expect(answers).toEqual({
      'too-large': 'too_many_subscriptions',
      held: 'subscribed',
      'free-1': 'unsubscribed',
      'fits-now': 'subscribed',
      'free-2': 'unsubscribed',
      invalid: 'invalid_message',
      'full-again': 'subscribed',
    });
    // The subscription kept from that burst filters as written.
    expect(await publisher.publish('filters.burst.17', { agent_id: 'nobody' })).toMatchObject({ type: 'ack' });
    expect(await publisher.publish('filters.burst.17', { agent_id: kept.agent_id[5] })).toMatchObject({ type: 'ack' });
    const delivered = await client.next((f) => f.type === 'message' && f.channel === 'filters.burst.17', 10_000);
    expect(delivered.data).toEqual({ agent_id: kept.agent_id[5] });
    await client.barrier();
    expect(client.ofType('message')).toHaveLength(1);
    await Promise.all([client.close(), publisher.close()]);
  });
});

describe('limits: what filters cost the server', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  const CONNECTIONS = 48;
  const PER_CONNECTION = 100;
  /** Three shapes at the limit: long "any of" arrays of strings, of numbers, and two arrays crossed. */
  const shapes = [
    (c: number, i: number) => agentFilter(`s${c}.${i}`, 650),
    (c: number, i: number) => ({ n: Array.from({ length: 80 }, (_, j) => (c * 100 + i) * 1000 + j) }),
    (c: number, i: number) => ({
      a: Array.from({ length: 16 }, (_, j) => `a${c}.${i}.${j}`),
      b: Array.from({ length: 16 }, (_, j) => `b${c}.${i}.${j}`),
    }),
  ];

  /** A bare connection sending its 100 subscribes at once; resolves once all are answered. */
  async function subscribeAll(c: number): Promise<{ socket: WebSocket; answered: Promise<Record<string, number>> }> {
    const socket = new WebSocket(`${server.wsUrl}?token=${await tokenFor(`cost-${c}`, 'viewer')}`, {
      perMessageDeflate: false,
    });
    const replies: Record<string, number> = {};
    let seen = 0;
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as { type: string; code?: string };
      const key = frame.code ?? frame.type;
      replies[key] = (replies[key] ?? 0) + 1;
      seen++;
    });
    socket.once('error', () => {});
    await new Promise((resolve) => socket.once('open', resolve));
    const shape = shapes[c % shapes.length]!;
    for (let i = 0; i < PER_CONNECTION; i++)
      socket.send(JSON.stringify({ action: 'subscribe', channel: 'fleet', filters: shape(c, i) }));
    const answered = pollUntil(() => seen >= PER_CONNECTION + 1, 30_000, 10).then(() => replies);
    return { socket, answered };
  }

  it(`${CONNECTIONS} connections × ${PER_CONNECTION} subscriptions at the limit cost a small multiple of their filter bytes; a bystander subscribes at once`, async () => {
    const filterBytes = Array.from({ length: CONNECTIONS }, (_, c) =>
      Array.from({ length: PER_CONNECTION }, (_, i) => Buffer.byteLength(JSON.stringify(shapes[c % 3]!(c, i)))),
    ).flat();
    const totalFilterBytes = filterBytes.reduce((a, b) => a + b, 0);
    expect(Math.max(...filterBytes)).toBeLessThanOrEqual(4 * KIB);
    const before = await settledMemory();
    const bystander = await connect(server);
    const connections = await Promise.all(Array.from({ length: CONNECTIONS }, (_, c) => subscribeAll(c)));
    const startedAt = performance.now();
    const reply = await bystander.subscribe('fleet', { filters: { agent_id: 'bystander' } });
    const bystanderMs = performance.now() - startedAt;
    expect(reply).toMatchObject({ type: 'subscribed' });
    for (const { answered } of connections)
      expect(await answered).toEqual({ connected: 1, subscribed: PER_CONNECTION });
    const held = (await settledMemory()) - before;
    const perFilterByte = held / totalFilterBytes;
    console.log(
      `${CONNECTIONS} × ${PER_CONNECTION} subscriptions, ${(totalFilterBytes / MB).toFixed(1)} MB of filters: ` +
        `server memory +${(held / MB).toFixed(1)} MB (${perFilterByte.toFixed(1)} bytes per filter byte, ` +
        `${(held / (CONNECTIONS * PER_CONNECTION) / KIB).toFixed(1)} KiB per subscription); bystander subscribed in ${bystanderMs.toFixed(1)} ms`,
    );
    // Measured ~5-8 with a forced GC; 105 KB per 256-value filter (×40 and more) before.
    expect(perFilterByte).toBeLessThan(canForceGc() ? 16 : 32);
    expect(bystanderMs).toBeLessThan(1000);
    await bystander.assertAlive();
    await Promise.all(
      connections.map(({ socket }) => new Promise((resolve) => (socket.once('close', resolve), socket.close()))),
    );
    await bystander.close();
  }, 60_000);
});
