/**
 * permessage-deflate end to end against a real server: what is negotiated for each kind of
 * offer, that every message decodes byte for byte in `ws` clients whatever window they asked
 * for, that a fan-out compresses once however many subscribers, that a compressed client frame
 * inflating past the payload limit is refused, and that the heartbeat and ping → pong are
 * answered while large messages are being compressed and sent.
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, type ClientOptions } from 'ws';
import { LeanSubscriber } from '../helpers/raw.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { tokenFor } from '../helpers/tokens.js';
import { TestClient, sleep } from '../helpers/ws-client.js';
import { sharedDeflateStats } from '../../src/server/deflate/index.js';

const MAX_PAYLOAD = 256 * 1024;
let userCounter = 0;
const user = () => `deflate-${++userCounter}`;

/** The permessage-deflate response the client accepted, as a header value. */
function negotiatedParams(client: TestClient): string {
  const internals = client.socket as unknown as {
    _extensions: Record<string, { params: Record<string, unknown> } | undefined>;
  };
  const params = internals._extensions['permessage-deflate']?.params ?? {};
  return ['permessage-deflate', ...Object.entries(params).map(([k, v]) => (v === true ? k : `${k}=${String(v)}`))].join(
    '; ',
  );
}

/** Bytes the client's TCP socket has read so far (what came over the wire). */
const bytesRead = (client: TestClient) => (client.socket as unknown as { _socket: Socket })._socket.bytesRead;

/** A JSON value of about `bytes` whose text repeats itself far apart (defeats a small window if misused). */
function telemetry(bytes: number, seed: number) {
  const block = randomBytes(900).toString('base64'); // 1,200 characters, incompressible on its own
  const rows: unknown[] = [];
  for (let i = 0; JSON.stringify(rows).length < bytes; i++)
    rows.push({ agent_id: `agent-${i % 7}`, cpu: (seed * 31 + i) % 100, label: 'héllo — 漢字 🚀', block });
  return { seed, rows };
}

async function connect(server: TestServer, options: ClientOptions = {}): Promise<TestClient> {
  return TestClient.connect(server.wsUrl, await tokenFor(user()), options);
}

/** Publishes on the server's broker, as a fan-out from any process reaches the hub. */
function publish(server: TestServer, channel: string, data: unknown): void {
  void server.broker.publish({ channel, kind: 'broadcast', from: 'nexus', data });
}

describe('permessage-deflate', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({
      env: { NEXUS_DEFLATE: 'on', NEXUS_MAX_PAYLOAD: String(MAX_PAYLOAD), NEXUS_HISTORY_SIZE: '10' },
    });
  });
  afterAll(() => server.close());

  // The messages repeat a 1,200-character block: a 1 KiB window cannot reach back to it, so
  // server_max_window_bits=10 compresses less (and would fail to decode if it were ignored).
  const offers: readonly [string, ClientOptions['perMessageDeflate'], RegExp, number][] = [
    ['the default ws offer', true, /^permessage-deflate; server_no_context_takeover; client_no_context_takeover$/, 0.5],
    [
      'client_max_window_bits=10',
      { clientMaxWindowBits: 10 },
      /^permessage-deflate; client_max_window_bits=10; server_no_context_takeover; client_no_context_takeover$/,
      0.5,
    ],
    [
      'server_max_window_bits=10',
      { serverMaxWindowBits: 10 },
      /^permessage-deflate; server_max_window_bits=10; server_no_context_takeover; client_no_context_takeover$/,
      0.9,
    ],
  ];
  for (const [name, perMessageDeflate, negotiated, ratio] of offers) {
    it(`a client offering ${name} gets no context takeover and decodes every message byte for byte`, async () => {
      const client = await connect(server, { perMessageDeflate });
      expect(negotiatedParams(client)).toMatch(negotiated);
      const channel = `deflate.interop.${userCounter}`;
      await client.subscribe(channel);
      const sent = [
        { text: 'small' },
        { text: 'é漢🚀'.repeat(100) },
        telemetry(4000, 1),
        telemetry(40_000, 2),
        { text: 'after' },
        telemetry(1500, 3),
      ];
      const readBefore = bytesRead(client);
      for (const data of sent) publish(server, channel, data);
      const received = await Promise.all(
        sent.map((_, i) => client.next((f) => f.type === 'broadcast' && f.channel === channel && f.seq === i + 1)),
      );
      expect(received.map((f) => f.data)).toEqual(sent);
      // Compressed on the wire: fewer bytes read than the JSON of the messages.
      const jsonBytes = sent.reduce((sum, data) => sum + Buffer.byteLength(JSON.stringify(data)), 0);
      expect(bytesRead(client) - readBefore).toBeLessThan(jsonBytes * ratio);
      await client.close();
    });
  }

  it('declines offers it cannot honour and takes the next acceptable one, without failing the handshake', async () => {
    const cases: readonly [string, string][] = [
      ['permessage-deflate; server_max_window_bits=8', ''],
      ['permessage-deflate; unknown_param', ''],
      ['permessage-deflate; server_max_window_bits=16', ''],
      ['permessage-deflate; client_no_context_takeover; client_no_context_takeover', ''],
      [
        'permessage-deflate; server_max_window_bits=8, permessage-deflate; server_max_window_bits=12',
        'permessage-deflate; server_max_window_bits=12; server_no_context_takeover; client_no_context_takeover',
      ],
    ];
    for (const [offer, expected] of cases) {
      const response = await upgradeExtensions(server, offer);
      expect({ offer, status: response.status, extensions: response.extensions }).toEqual({
        offer,
        status: 101,
        extensions: expected,
      });
    }
  });

  it('compresses a fan-out once for 100 subscribers, and once per window size', async () => {
    const channel = 'deflate.fanout';
    const clients = await Promise.all(Array.from({ length: 100 }, () => connect(server, { perMessageDeflate: true })));
    const narrow = await connect(server, { perMessageDeflate: { serverMaxWindowBits: 10 } });
    const plain = await connect(server, { perMessageDeflate: false });
    for (const c of [...clients, narrow, plain]) await c.subscribe(channel);
    const data = telemetry(4000, 4);
    const before = sharedDeflateStats.compressions;
    publish(server, channel, data);
    const got = await Promise.all([...clients, narrow, plain].map((c) => c.next((f) => f.type === 'broadcast')));
    expect(got.every((f) => JSON.stringify(f.data) === JSON.stringify(data))).toBe(true);
    expect(sharedDeflateStats.compressions - before).toBe(2); // window 15 for 100, window 10 for one
    await Promise.all([...clients, narrow, plain].map((c) => c.close()));
  });

  it('takes compressed publishes of every size, small ones and ones inflated off the event loop', async () => {
    const publisher = await TestClient.connect(server.wsUrl, await tokenFor(user(), 'operator'), {
      perMessageDeflate: true,
    });
    const reader = await connect(server, { perMessageDeflate: true });
    const channel = 'deflate.publish';
    await reader.subscribe(channel);
    const payloads = [{ small: 'é' }, telemetry(8000, 5), telemetry(150_000, 6), { small: 'after' }];
    for (const payload of payloads) expect((await publisher.publish(channel, payload)).type).toBe('ack');
    const got = await Promise.all(payloads.map((_, i) => reader.next((f) => f.type === 'message' && f.seq === i + 1)));
    expect(got.map((f) => f.data)).toEqual(payloads);
    await Promise.all([publisher.close(), reader.close()]);
  });

  it('refuses a compressed frame that inflates past the payload limit (1009), however small on the wire', async () => {
    const client = await connect(server, { perMessageDeflate: true });
    const bomb = JSON.stringify({ action: 'ping', pad: ' '.repeat(MAX_PAYLOAD * 4) });
    expect(deflateRawSync(bomb).length).toBeLessThan(MAX_PAYLOAD / 50);
    client.send(bomb);
    const closed = await client.closed;
    expect(closed.code).toBe(1009);
    const other = await connect(server, { perMessageDeflate: true });
    expect((await other.request({ action: 'ping', id: 1 })).type).toBe('pong');
    await other.close();
  });
});

describe('permessage-deflate and the heartbeat', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({
      env: { NEXUS_DEFLATE: 'on', NEXUS_HEARTBEAT_MS: '250', NEXUS_MAX_BUFFERED: String(64 * 2 ** 20) },
    });
  });
  afterAll(() => server.close());

  it('answers the protocol ping and ping → pong while a long burst of large messages is compressed', async () => {
    const channel = 'deflate.heartbeat';
    const readers = await Promise.all(
      Array.from({ length: 3 }, async () =>
        LeanSubscriber.connect(server.wsUrl, await tokenFor(user()), { perMessageDeflate: true }),
      ),
    );
    for (const r of readers) await r.subscribe(channel);
    const watcher = readers[0]!.socket;
    let pings = 0;
    watcher.on('ping', () => pings++);
    const pongs = new Map<number, () => void>();
    watcher.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as { type: string; id?: number };
      if (frame.type === 'pong' && frame.id !== undefined) pongs.get(frame.id)?.();
    });
    const appPing = (id: number) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `no pong for ping ${id} (${readers.map((r) => r.seqs.length).join()} received, ${published} published, ${pings} pings)`,
              ),
            ),
          10_000,
        );
        pongs.set(id, () => (clearTimeout(timer), resolve()));
        // Uncompressed: the test's clients share zlib's thread pool with the server it runs.
        watcher.send(JSON.stringify({ action: 'ping', id }), { compress: false });
      });
    // 100 messages of ~32 KB, 5 per turn, to 3 subscribers (decoded in this process too):
    // compressed per subscriber, as ws does, the ping waited behind each socket's queue of
    // compressions; here each message is compressed once, in its fan-out, and nothing waits.
    const messages = 100;
    const payloads = Array.from({ length: 8 }, (_, i) => telemetry(32 * 1024, i));
    const started = Date.now();
    let published = 0;
    const publishing = (async () => {
      while (published < messages) {
        for (let i = 0; i < 5 && published < messages; i++, published++)
          publish(server, channel, { i: published, ...payloads[published % payloads.length]! });
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const roundTrips: number[] = [];
    for (let id = 1; published < messages || roundTrips.length < 3; id++) {
      const sentAt = Date.now();
      await appPing(id);
      roundTrips.push(Date.now() - sentAt);
      await sleep(10);
    }
    await publishing;
    await Promise.all(readers.map((r) => r.waitFor(messages, 20_000)));
    const burstMs = Date.now() - started;
    await sleep(800);
    // Every ping answered: a peer that misses one is terminated at the next heartbeat.
    expect(pings).toBeGreaterThanOrEqual(Math.floor((burstMs + 800) / 250) - 1);
    expect(burstMs).toBeLessThan(10_000);
    expect(Math.max(...roundTrips)).toBeLessThan(3000);
    for (const r of readers) expect(r.socket.readyState).toBe(WebSocket.OPEN);
    await Promise.all(readers.map((r) => r.close()));
  });
});

/** Sends an upgrade request offering `offer`; resolves with the status and the negotiated extensions. */
function upgradeExtensions(server: TestServer, offer: string): Promise<{ status: number; extensions: string }> {
  return tokenFor(user()).then(
    (token) =>
      new Promise((resolve, reject) => {
        const socket = new WebSocket(`${server.wsUrl}?token=${encodeURIComponent(token)}`, {
          perMessageDeflate: false,
          headers: { 'Sec-WebSocket-Extensions': offer },
        });
        socket.on('upgrade', (response) => {
          resolve({
            status: response.statusCode ?? 0,
            extensions: String(response.headers['sec-websocket-extensions'] ?? ''),
          });
        });
        socket.on('unexpected-response', (_request, response) => {
          resolve({ status: response.statusCode ?? 0, extensions: '' });
          socket.terminate();
        });
        // ws refuses a response extension it did not offer itself: the status was already read.
        socket.on('error', () => {});
        socket.on('open', () => socket.close());
        setTimeout(() => reject(new Error('no upgrade response')), 5000).unref();
      }),
  );
}
