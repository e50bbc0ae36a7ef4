/**
 * "No input crashes the process or disturbs other connections": the bad-input
 * battery. Every case is followed by a probe proving that an independent client on the same
 * server still subscribes and receives, and that the process's memory stayed bounded.
 */
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MB, canForceGc, memoryNow, settledMemory } from '../helpers/memory.js';
import {
  LeanSubscriber,
  expectServerServes,
  httpStatusOf,
  metricValue,
  pollUntil,
  rawExchange,
  scrapeMetrics,
} from '../helpers/raw.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { tokenFor } from '../helpers/tokens.js';
import { TestClient, sleep, type Frame } from '../helpers/ws-client.js';

/** Memory growth allowed per case: tight when a full GC can be forced, generous otherwise. */
const MEMORY_BOUND = canForceGc() ? 64 * MB : 200 * MB;

let userCounter = 0;
const nextUser = (prefix: string) => `${prefix}-${++userCounter}`;

async function connectAs(server: TestServer, role = 'operator', options = {}): Promise<TestClient> {
  return TestClient.connect(server.wsUrl, await tokenFor(nextUser(role), role), options);
}

/** Sends a raw text frame and returns the next `error` frame. */
async function errorFor(client: TestClient, text: string): Promise<Frame> {
  const reply = client.next((f) => f.type === 'error');
  client.send(text);
  return reply;
}

/** After each case: an independent client still works and memory did not run away. */
async function expectUndisturbed(server: TestServer, baseline: number): Promise<void> {
  await expectServerServes(server);
  const now = await settledMemory();
  expect(now - baseline, `memory grew by ${((now - baseline) / MB).toFixed(1)} MB`).toBeLessThan(MEMORY_BOUND);
}

describe('abuse: bad frames on a default server', () => {
  let server: TestServer;
  let baseline: number;
  const clients: TestClient[] = [];
  const track = (client: TestClient) => (clients.push(client), client);

  beforeAll(async () => {
    server = await startServer();
    baseline = await settledMemory();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(() => server.close());

  /** A subscriber on `channel` that must receive nothing but the final good message. */
  async function observer(channel: string): Promise<TestClient> {
    const client = track(await connectAs(server, 'viewer'));
    await client.subscribe(channel);
    return client;
  }

  /** Publishes a good message and checks the observer's only delivery is that one (seq 1). */
  async function expectOnlyGoodMessage(publisher: TestClient, watcher: TestClient, channel: string): Promise<void> {
    const ack = await publisher.publish(channel, { good: true });
    expect(ack).toMatchObject({ type: 'ack', channel, seq: 1 });
    const message = await watcher.next((f) => f.type === 'message');
    expect(message).toMatchObject({ channel, seq: 1, data: { good: true } });
    expect(watcher.ofType('message')).toHaveLength(1);
  }

  it('malformed JSON → error invalid_json, connection stays open', async () => {
    const channel = 'abuse.json';
    const watcher = await observer(channel);
    const client = track(await connectAs(server));
    for (const text of [
      '{"action":',
      'not json',
      '{action:"publish"}',
      "{'action':'ping'}",
      '',
      '{"action":"publish","channel":"abuse.json","payload":1}}',
      '\u0000',
    ]) {
      const error = await errorFor(client, text);
      expect(error, `for ${JSON.stringify(text)}`).toMatchObject({ type: 'error', code: 'invalid_json' });
      expect(typeof error.message).toBe('string');
    }
    await client.assertAlive();
    await expectOnlyGoodMessage(client, watcher, channel);
    await expectUndisturbed(server, baseline);
  });

  it('wrong field types → error invalid_message, nothing published', async () => {
    const channel = 'abuse.types';
    const watcher = await observer(channel);
    const client = track(await connectAs(server));
    const frames: unknown[] = [
      { action: 'subscribe', channel: 5 },
      { action: 'subscribe', channel, filters: 'x' },
      { action: 'publish', channel },
      { action: 'subscribe', channel, since: 'abc' },
      { action: 'ping', id: {} },
      { action: 'publish', channel, payload: 1, id: [1] },
      { action: 'unsubscribe', channel: null },
      { action: 'subscribe', channel, since: -1 },
      { action: 'subscribe', channel, since: 1.5 },
      { action: 'refresh', token: 42 },
      { action: 'subscribe', channel, epoch: 7 },
      {},
      { action: 5 },
    ];
    for (const frame of frames) {
      const error = await errorFor(client, JSON.stringify(frame));
      expect(error, `for ${JSON.stringify(frame)}`).toMatchObject({ type: 'error', code: 'invalid_message' });
    }
    // A valid id is echoed in the error reply.
    const withId = await client.request({ action: 'publish', channel, id: 'no-payload' });
    expect(withId).toMatchObject({ type: 'error', code: 'invalid_message', id: 'no-payload' });
    await client.assertAlive();
    await expectOnlyGoodMessage(client, watcher, channel);
    await expectUndisturbed(server, baseline);
  });

  it('unknown action → error unknown_action (id echoed)', async () => {
    const client = track(await connectAs(server));
    for (const action of ['explode', 'SUBSCRIBE', '__proto__', 'constructor', 'toString', 'x'.repeat(10_000)]) {
      const error = await errorFor(client, JSON.stringify({ action, channel: 'abuse.unknown' }));
      expect(error, `for action ${action.slice(0, 20)}`).toMatchObject({ type: 'error', code: 'unknown_action' });
    }
    const reply = await client.request({ action: 'teleport', id: 'u-1' });
    expect(reply).toMatchObject({ type: 'error', code: 'unknown_action', id: 'u-1' });
    await client.assertAlive();
    await expectUndisturbed(server, baseline);
  });

  it('a JSON array / number / string / null / boolean frame → error invalid_message', async () => {
    const client = track(await connectAs(server));
    for (const text of ['[1,2,3]', '[]', '42', '"subscribe"', 'null', 'true', '[{"action":"ping"}]']) {
      const error = await errorFor(client, text);
      expect(error, `for ${text}`).toMatchObject({ type: 'error', code: 'invalid_message' });
    }
    await client.assertAlive();
    await expectUndisturbed(server, baseline);
  });

  it('bad channel names → error invalid_message for subscribe, publish and unsubscribe; 128 chars is fine', async () => {
    const client = track(await connectAs(server));
    const bad = ['', 'a b', 'ä', 'x'.repeat(129), 'a/b', 'line\nbreak', 'tab\t', '*', 'emoji🙂'];
    for (const channel of bad) {
      for (const frame of [
        { action: 'subscribe', channel },
        { action: 'publish', channel, payload: 1 },
        { action: 'unsubscribe', channel },
      ]) {
        const error = await errorFor(client, JSON.stringify(frame));
        expect(error, `for ${JSON.stringify(frame).slice(0, 80)}`).toMatchObject({
          type: 'error',
          code: 'invalid_message',
        });
      }
    }
    const longest = 'x'.repeat(128);
    expect(await client.subscribe(longest)).toMatchObject({ type: 'subscribed', channel: longest });
    expect(await client.subscribe('A-z_0.9:x')).toMatchObject({ type: 'subscribed', channel: 'A-z_0.9:x' });
    await expectUndisturbed(server, baseline);
  });

  it('bad filters (17 keys, nested object, empty array, null, …) → error invalid_message; 16 keys is fine', async () => {
    const client = track(await connectAs(server));
    const keys = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));
    const badFilters: unknown[] = [
      keys(17),
      { a: { b: 1 } },
      { a: [] },
      { a: null },
      { a: [{ b: 1 }] },
      { a: [[1]] },
      { a: [null] },
      [],
      ['a'],
      null,
      { '': 1 },
    ];
    for (const filters of badFilters) {
      const error = await errorFor(client, JSON.stringify({ action: 'subscribe', channel: 'abuse.filters', filters }));
      expect(error, `for filters ${JSON.stringify(filters).slice(0, 60)}`).toMatchObject({
        type: 'error',
        code: 'invalid_message',
      });
    }
    // None of the refused subscribes took effect: a publish there reaches nobody on this client.
    const op = track(await connectAs(server));
    await op.publish('abuse.filters', { k0: 0 });
    const ok = await client.subscribe('abuse.filters', { filters: keys(16) });
    expect(ok).toMatchObject({ type: 'subscribed', channel: 'abuse.filters', seq: 1 });
    await sleep(50);
    expect(client.ofType('message')).toHaveLength(0);
    await expectUndisturbed(server, baseline);
  });

  it('binary frames → error binary_not_supported, nothing published, connection stays open', async () => {
    const channel = 'abuse.binary';
    const watcher = await observer(channel);
    const client = track(await connectAs(server));
    const binaryPayloads = [
      Buffer.from([0, 1, 2, 3, 255]),
      Buffer.from(JSON.stringify({ action: 'publish', channel, payload: { via: 'binary' } })),
      randomBytes(4096),
      Buffer.alloc(0),
    ];
    for (const data of binaryPayloads) {
      const reply = client.next((f) => f.type === 'error');
      client.socket.send(data, { binary: true });
      expect(await reply).toMatchObject({ type: 'error', code: 'binary_not_supported' });
    }
    expect(client.socket.readyState).toBe(client.socket.OPEN);
    await client.assertAlive();
    await expectOnlyGoodMessage(client, watcher, channel);
    await expectUndisturbed(server, baseline);
  });

  it('100,000 levels of nesting in a publish payload → error invalid_message, connection stays open, server fine', async () => {
    const channel = 'abuse.deep';
    const watcher = await observer(channel);
    const client = track(await connectAs(server));
    const depth = 100_000;
    const texts = [
      `{"action":"publish","channel":"${channel}","payload":${'['.repeat(depth)}${']'.repeat(depth)}}`,
      `{"action":"publish","channel":"${channel}","payload":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`,
      `{"action":"publish","channel":"${channel}","payload":${'['.repeat(depth)}`,
      `{"action":"subscribe","channel":"${channel}","filters":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`,
    ];
    for (const [i, text] of texts.entries()) {
      const error = await errorFor(client, text);
      if (i === 2) {
        // Unclosed as well as too deep: either answer is fair.
        expect(['invalid_message', 'invalid_json'], `for case ${i}`).toContain(error.code);
      } else {
        // Well-formed JSON that is too deep is a shape problem, not a syntax one.
        expect(error.code, `for case ${i}`).toBe('invalid_message');
      }
    }
    expect(client.socket.readyState).toBe(client.socket.OPEN);
    await client.assertAlive();
    await expectOnlyGoodMessage(client, watcher, channel);
    await expectUndisturbed(server, baseline);
  });

  it('numbers that do not fit a double (1e400 parses to Infinity) → invalid_message with the id over WebSocket, 400 over REST; nothing delivered', async () => {
    const channel = 'abuse.infinity';
    const watcher = await observer(channel);
    const client = track(await connectAs(server));
    const payloads = ['1e400', '{"cpu":-1E400}', `[1,2,${'9'.repeat(400)}]`, '{"a":{"b":[0.5,2e308]}}'];
    for (const [i, payload] of payloads.entries()) {
      const error = await errorFor(
        client,
        `{"action":"publish","channel":"${channel}","id":"inf-${i}","payload":${payload}}`,
      );
      expect(error, payload).toMatchObject({ type: 'error', code: 'invalid_message', id: `inf-${i}` });
    }
    const filters = await errorFor(client, `{"action":"subscribe","channel":"${channel}","filters":{"n":1e999}}`);
    expect(filters).toMatchObject({ code: 'invalid_message' });
    const token = await tokenFor(nextUser('rest-inf'), 'operator');
    for (const payload of payloads) {
      const response = await fetch(`${server.url}/api/publish`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: `{"channel":"${channel}","payload":${payload}}`,
      });
      expect(response.status, payload).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: 'invalid_request' } });
    }
    // Large finite numbers and exponents that fit pass unchanged.
    const fine = await client.request({ action: 'publish', channel, payload: { max: Number.MAX_VALUE, tiny: 5e-324 } });
    expect(fine).toMatchObject({ type: 'ack', seq: 1 });
    const delivered = await watcher.next((f) => f.type === 'message');
    expect(delivered.data).toEqual({ max: Number.MAX_VALUE, tiny: 5e-324 });
    expect(watcher.ofType('message')).toHaveLength(1);
    await expectUndisturbed(server, baseline);
  });

  it('invalid UTF-8 in a text frame → that connection is closed with 1007, a bystander is not disturbed', async () => {
    const channel = 'abuse.utf8';
    const bystander = await observer(channel);
    const publisher = track(await connectAs(server));
    const sequences = [
      [0x7b, 0xff, 0xfe, 0x7d], // bytes that never occur in UTF-8
      [0x22, 0xc0, 0xaf, 0x22], // overlong encoding of '/'
      [0x22, 0xed, 0xa0, 0x80, 0x22], // UTF-16 surrogate encoded as UTF-8
      [0x7b, 0x22, 0xe2, 0x82], // truncated multi-byte sequence
    ];
    for (const bytes of sequences) {
      const victim = track(await connectAs(server));
      victim.socket.send(Buffer.from(bytes), { binary: false });
      const closed = await Promise.race([victim.closed, sleep(3000).then(() => ({ code: -1, reason: 'not closed' }))]);
      expect(closed.code, `for ${Buffer.from(bytes).toString('hex')}`).toBe(1007);
    }
    expect(bystander.socket.readyState).toBe(bystander.socket.OPEN);
    await bystander.assertAlive();
    await expectOnlyGoodMessage(publisher, bystander, channel);
    expect(await pollUntil(() => server.connections() === 2, 2000)).toBe(true);
    await expectUndisturbed(server, baseline);
  });

  it('garbage HTTP requests on raw TCP → HTTP 4xx or a close, never a WebSocket; server keeps serving', async () => {
    const bystander = track(await connectAs(server, 'viewer'));
    const connectionsBefore = server.connections();
    const token = await tokenFor('raw-user', 'operator');
    const host = `127.0.0.1:${server.port}`;
    const requests: [string, string | Buffer][] = [
      ['random bytes', randomBytes(2048)],
      [
        'random bytes after a request line',
        Buffer.concat([Buffer.from('GET /ws HTTP/1.1\r\n'), randomBytes(512), Buffer.from('\r\n\r\n')]),
      ],
      ['malformed request line', 'GARBAGE\r\n\r\n'],
      ['bad HTTP version', 'GET /ws HTTP/9.9\r\nHost: x\r\n\r\n'],
      ['NUL in a header', `GET /ws HTTP/1.1\r\nHost: ${host}\r\nX-Bad: a\u0000b\r\n\r\n`],
      [
        'upgrade without Sec-WebSocket-Key',
        `GET /ws?token=${token} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ],
      [
        'upgrade with a malformed Sec-WebSocket-Key',
        `GET /ws?token=${token} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: not-base64!\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ],
      [
        'upgrade with an unsupported version',
        `GET /ws?token=${token} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 99\r\n\r\n`,
      ],
      [
        'upgrade with a garbage token',
        `GET /ws?token=%ZZ%00${'A'.repeat(3000)} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ],
      [
        'upgrade with a broken absolute URL',
        `GET http://[::1 HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ],
      [
        'upgrade with 100 KB of headers',
        `GET /ws?token=${token} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Big: ${'b'.repeat(100_000)}\r\n\r\n`,
      ],
    ];
    for (const [name, data] of requests) {
      const { text, closedByServer } = await rawExchange(server.port, data, 3000);
      const status = httpStatusOf(text);
      if (status === undefined) {
        expect(closedByServer, `${name}: no answer and not closed`).toBe(true);
        expect(text, `${name}: answered something that is not HTTP`).toBe('');
      } else {
        expect(status, `${name}: ${text.slice(0, 80)}`).toBeGreaterThanOrEqual(400);
        expect(status, `${name}: ${text.slice(0, 80)}`).toBeLessThan(500);
      }
    }
    expect(server.connections()).toBe(connectionsBefore);
    await bystander.assertAlive();
    await expectUndisturbed(server, baseline);
  });

  it('a 2,000-frame burst from one client: about 200 served, 100 refused with their id, then unread, closed 1008 once still flooding after 2 s; others served', async () => {
    const channel = 'abuse.flood';
    const watcher = await observer(channel);
    const flooder = track(await connectAs(server));
    const total = 2000;
    for (let i = 0; i < total; i++) flooder.send({ action: 'publish', channel, id: i, payload: { i } });
    // 2,000 frames at once is twenty seconds' worth: what waits in TCP after the pause is still a flood.
    const closed = await Promise.race([flooder.closed, sleep(8000).then(() => ({ code: -1, reason: 'open' }))]);
    expect(closed.code).toBe(1008);
    const acks = flooder.ofType('ack');
    const limited = flooder.frames.filter((f) => f.type === 'error' && f.code === 'rate_limited');
    expect(acks.length).toBeGreaterThanOrEqual(200);
    expect(acks.length).toBeLessThanOrEqual(2 * 200 + 100);
    // Refusals carry their frame's id; past a hundred of them the rest was dropped unread and unanswered.
    expect(limited.length).toBeGreaterThanOrEqual(101);
    expect(limited.every((f) => typeof f.id === 'number')).toBe(true);
    expect(acks.length + limited.length).toBeLessThan(total);
    // Exactly the acknowledged publishes were delivered, in order.
    expect(await pollUntil(() => watcher.ofType('message').length >= acks.length, 5000)).toBe(true);
    await sleep(100);
    const delivered = watcher.ofType('message').map((f) => (f.data as { i: number }).i);
    expect(delivered).toEqual(acks.map((f) => f.id));
    await expectUndisturbed(server, baseline);
  });

  it('101 subscriptions on distinct channels → the 101st gets too_many_subscriptions', async () => {
    const client = track(await connectAs(server, 'viewer'));
    const replies = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        client.request({ action: 'subscribe', channel: `abuse.subs.${i}`, id: `s${i}` }),
      ),
    );
    expect(replies.every((r) => r.type === 'subscribed')).toBe(true);
    const refused = await client.request({ action: 'subscribe', channel: 'abuse.subs.100', id: 's100' });
    expect(refused).toMatchObject({ type: 'error', code: 'too_many_subscriptions', id: 's100' });
    // The refused subscription does not exist; the others do.
    const op = track(await connectAs(server));
    await op.publish('abuse.subs.100', { n: 100 });
    await op.publish('abuse.subs.99', { n: 99 });
    const got = await client.next((f) => f.type === 'message');
    expect(got).toMatchObject({ channel: 'abuse.subs.99', data: { n: 99 } });
    expect(client.ofType('message')).toHaveLength(1);
    // Freeing a slot makes room again.
    expect(await client.request({ action: 'unsubscribe', channel: 'abuse.subs.0' })).toMatchObject({
      type: 'unsubscribed',
    });
    expect(await client.subscribe('abuse.subs.100')).toMatchObject({
      type: 'subscribed',
      channel: 'abuse.subs.100',
      seq: 1,
    });
    await client.assertAlive();
    await expectUndisturbed(server, baseline);
  });

  it('huge filters: two connections sending 100 subscribes of ~0.65 MB filters each: refused (4 KiB per subscription), then stopped by the byte rate (1008); nothing pinned', async () => {
    // Every frame is within NEXUS_MAX_PAYLOAD and within the filter key limit (16 keys).
    const filters: Record<string, string[]> = {};
    for (let k = 0; k < 16; k++)
      filters[`k${k}`] = Array.from({ length: 40 }, (_, j) => `${k}-${j}-${'v'.repeat(1000)}`);
    const before = await settledMemory();
    /** A bare connection that only counts replies by code (it keeps none of the 1 MB frames). */
    const subscribeMany = async (user: string) => {
      const socket = new WebSocket(`${server.wsUrl}?token=${await tokenFor(user, 'viewer')}`, {
        perMessageDeflate: false,
      });
      const codes: Record<string, number> = {};
      let replies = 0;
      socket.on('message', (data) => {
        if (replies++ === 0) return; // connected
        const code = String((JSON.parse(data.toString()) as Frame).code);
        codes[code] = (codes[code] ?? 0) + 1;
      });
      const closed = new Promise<number>((resolve) => socket.once('close', resolve));
      socket.once('error', () => {});
      if (!(await pollUntil(() => replies === 1, 5000, 2))) throw new Error('no connected frame');
      for (let i = 0; i < 100; i++)
        socket.send(JSON.stringify({ action: 'subscribe', channel: `abuse.huge.${i}`, filters }));
      return { codes, closed };
    };
    const connections = await Promise.all([subscribeMany('huge-a'), subscribeMany('huge-b')]);
    for (const { codes, closed } of connections) {
      expect(await Promise.race([closed, sleep(10_000).then(() => -1)])).toBe(1008);
      // The first 4 MiB (the viewer's byte burst) are read and refused; then one rate_limited.
      expect(codes.invalid_message).toBeGreaterThanOrEqual(5);
      expect(codes.invalid_message).toBeLessThanOrEqual(12);
      expect(codes.rate_limited).toBeGreaterThanOrEqual(1);
      expect(codes.subscribed).toBeUndefined();
    }
    expect(await pollUntil(async () => (await settledMemory()) - before < 64 * MB, 5000, 100)).toBe(true);
    await expectUndisturbed(server, baseline);
  }, 30_000);
});

describe('abuse: oversize frames (NEXUS_MAX_PAYLOAD=65536)', () => {
  let server: TestServer;
  let baseline: number;
  beforeAll(async () => {
    server = await startServer({ env: { NEXUS_MAX_PAYLOAD: '65536' } });
    baseline = await settledMemory();
  });
  afterAll(() => server.close());

  it('a 70,000-byte frame closes that connection with 1009; a bystander is not disturbed', async () => {
    const bystander = await connectAs(server, 'viewer');
    await bystander.subscribe('abuse.big');
    const sender = await connectAs(server);
    // Just under the limit is fine.
    const fits = await sender.publish('abuse.big', 'f'.repeat(60_000));
    expect(fits).toMatchObject({ type: 'ack', seq: 1 });
    const frame = (n: number) => JSON.stringify({ action: 'publish', channel: 'abuse.big', payload: 'x'.repeat(n) });
    const oversize = frame(70_000 - Buffer.byteLength(frame(0)));
    expect(Buffer.byteLength(oversize)).toBe(70_000);
    sender.send(oversize);
    const closed = await Promise.race([sender.closed, sleep(5000).then(() => ({ code: -1, reason: 'not closed' }))]);
    expect(closed.code).toBe(1009);
    await bystander.next((f) => f.type === 'message' && f.seq === 1);
    await sleep(50);
    expect(bystander.ofType('message')).toHaveLength(1);
    await bystander.assertAlive();
    await bystander.close();
    await expectUndisturbed(server, baseline);
  });

  it('a message split in fragments that add up past the limit also closes with 1009', async () => {
    const sender = await connectAs(server);
    const half = 'y'.repeat(40_000);
    sender.socket.send(`{"action":"publish","channel":"abuse.big2","payload":"${half}`, { fin: false });
    sender.socket.send(`${half}"}`, { fin: true });
    const closed = await Promise.race([sender.closed, sleep(5000).then(() => ({ code: -1, reason: 'not closed' }))]);
    expect(closed.code).toBe(1009);
    await expectUndisturbed(server, baseline);
  });

  it('a 1 MB frame and a 50 MB announced frame header close with 1009 without buffering', async () => {
    const big = await connectAs(server);
    big.send('z'.repeat(1024 * 1024));
    const closed = await Promise.race([big.closed, sleep(5000).then(() => ({ code: -1, reason: 'not closed' }))]);
    expect(closed.code).toBe(1009);
    // A masked text frame header announcing 50 MB, followed by only a few bytes.
    const liar = await connectAs(server);
    const header = Buffer.alloc(14);
    header[0] = 0x81;
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(50n * 1024n * 1024n, 2);
    randomBytes(4).copy(header, 10);
    (liar.socket as unknown as { _socket: import('node:net').Socket })._socket.write(
      Buffer.concat([header, Buffer.alloc(64)]),
    );
    const liarClosed = await Promise.race([liar.closed, sleep(5000).then(() => ({ code: -1, reason: 'not closed' }))]);
    expect(liarClosed.code).toBe(1009);
    await expectUndisturbed(server, baseline);
  });
});

describe('abuse: a peer that never answers pings (NEXUS_HEARTBEAT_MS=200)', () => {
  let server: TestServer;
  let baseline: number;
  beforeAll(async () => {
    server = await startServer({ env: { NEXUS_HEARTBEAT_MS: '200' } });
    baseline = await settledMemory();
  });
  afterAll(() => server.close());

  it('is terminated within two heartbeat periods (+ margin) while a normal client stays connected', async () => {
    const normal = await connectAs(server, 'viewer');
    const dead = await connectAs(server, 'viewer', { autoPong: false });
    const connectedAt = Date.now();
    expect(server.connections()).toBe(2);
    const closed = await Promise.race([dead.closed, sleep(3000).then(() => ({ code: -1, reason: 'not closed' }))]);
    const elapsed = Date.now() - connectedAt;
    expect(closed.code, 'the dead peer was not cut').not.toBe(-1);
    expect(elapsed).toBeLessThanOrEqual(2 * 200 + 300);
    expect(await pollUntil(() => server.connections() === 1, 1000)).toBe(true);
    // The normal client (silent, but answering pings) outlives many periods.
    await sleep(1200);
    expect(normal.socket.readyState).toBe(normal.socket.OPEN);
    await normal.assertAlive();
    await normal.close();
    await expectUndisturbed(server, baseline);
  });
});

describe('abuse: a slow consumer (NEXUS_MAX_BUFFERED=262144, NEXUS_DEFLATE=off)', () => {
  let server: TestServer;
  beforeAll(async () => {
    // A short history, so the messages the broker legitimately keeps do not blur the measurement.
    server = await startServer({
      env: { NEXUS_MAX_BUFFERED: '262144', NEXUS_DEFLATE: 'off', NEXUS_HISTORY_SIZE: '10' },
    });
  });
  afterAll(() => server.close());

  it('is cut, memory stays bounded, and a normal subscriber receives every message', async () => {
    const channel = 'abuse.slow';
    const normal = await LeanSubscriber.connect(server.wsUrl, await tokenFor('normal-sub'));
    expect(await normal.subscribe(channel)).toBe(0);
    const slow = await connectAs(server, 'viewer');
    await slow.subscribe(channel);
    const slowTcp = (slow.socket as unknown as { _socket: import('node:net').Socket })._socket;
    slowTcp.pause();
    expect(server.connections()).toBe(2);

    const before = await settledMemory();
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, memoryNow())), 20);

    // ~60 MB in 60 KB messages, via REST with several publishers (each user: 100/s, burst 200).
    const total = 1000;
    const blob = 'x'.repeat(60_000);
    const publishers = await Promise.all(Array.from({ length: 6 }, (_, i) => tokenFor(`slow-pub-${i}`, 'operator')));
    const deadline = Date.now() + 30_000;
    let next = 0;
    let rateLimited = 0;
    const worker = async () => {
      while (next < total && Date.now() < deadline) {
        // A normal subscriber reads at its own pace: keep at most a few messages in flight to it.
        if (next - normal.seqs.length > 8) {
          await sleep(1);
          continue;
        }
        const i = next++;
        for (let attempt = 0; ; attempt++) {
          const response = await fetch(`${server.url}/api/publish`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              authorization: `Bearer ${publishers[i % publishers.length]}`,
            },
            body: JSON.stringify({ channel, payload: { i, blob } }),
          });
          await response.arrayBuffer();
          if (response.status === 429 && attempt < 40) {
            rateLimited++;
            await sleep(50);
            continue;
          }
          expect(response.status).toBe(202);
          break;
        }
      }
    };
    try {
      await Promise.all([worker(), worker(), worker(), worker()]);
      expect(next, 'publishing did not finish in time').toBe(total);
      await normal.waitFor(total, 15_000);
    } finally {
      clearInterval(sampler);
    }

    // Every message reached the normal subscriber, once, in order.
    expect(normal.seqs).toEqual(Array.from({ length: total }, (_, k) => k + 1));
    expect(normal.errors).toEqual([]);
    expect(normal.socket.readyState).toBe(normal.socket.OPEN);

    // The slow consumer was cut on the server side (its socket is kept for its close frame) …
    const cut = async () =>
      (metricValue(await scrapeMetrics(server), 'nexus_dropped_total', 'reason="slow_consumer"') ?? 0) >= 1;
    expect(await pollUntil(cut, 5000), 'slow consumer not cut').toBe(true);

    // … and its backlog did not pile up in the server (about 60 MB were sent its way).
    const after = await settledMemory();
    // Unbounded buffering shows here as ~50 MB or more (60 MB sent, minus what the kernel holds);
    // a cut consumer leaves well under 10 MB.
    const bound = canForceGc() ? 24 * MB : 200 * MB;
    expect(after - before, `memory grew by ${((after - before) / MB).toFixed(1)} MB`).toBeLessThan(bound);
    // Without a forced GC the peak includes garbage (~100 MB of parsed 60 KB bodies): only a crash guard.
    expect(peak - before, `peak growth ${((peak - before) / MB).toFixed(1)} MB`).toBeLessThan(400 * MB);

    // Once it reads again it learns why: what waited for it was dropped, not the close frame.
    slowTcp.resume();
    const closed = await Promise.race([slow.closed, sleep(5000).then(() => ({ code: -1, reason: 'not closed' }))]);
    expect(closed.code).toBe(4008);
    expect(await pollUntil(() => server.connections() === 1, 5000), 'slow consumer still connected').toBe(true);
    expect(slow.ofType('message').length).toBeLessThan(total);

    await normal.close();
    await expectServerServes(server);
    expect(rateLimited).toBeLessThan(total);
  }, 60_000);
});
