/**
 * The limits table, line by line (boundaries and timings; the bad-input battery with
 * memory checks lives in abuse.int.test.ts), plus NEXUS_DEFLATE.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeanSubscriber, metricValue, pollUntil, scrapeMetrics } from '../helpers/raw.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { tokenFor } from '../helpers/tokens.js';
import { TestClient, sleep } from '../helpers/ws-client.js';

let userCounter = 0;
async function connectAs(server: TestServer, role = 'operator'): Promise<TestClient> {
  return TestClient.connect(server.wsUrl, await tokenFor(`limits-${role}-${++userCounter}`, role));
}

const tcpOf = (client: TestClient) => (client.socket as unknown as { _socket: Socket })._socket;
const notClosed = (ms: number) => sleep(ms).then(() => ({ code: -1, reason: 'not closed' }));

const pongs = (client: TestClient) => client.ofType('pong').length;
const limited = (client: TestClient) =>
  client.frames.filter((f) => f.type === 'error' && f.code === 'rate_limited').length;

/** Sends `count` pings at once and waits until each got a pong or a rate_limited error. */
async function pingBurst(client: TestClient, count: number): Promise<{ accepted: number; refused: number }> {
  const pongsBefore = pongs(client);
  const limitedBefore = limited(client);
  for (let i = 0; i < count; i++) client.send({ action: 'ping' });
  const done = await pollUntil(() => pongs(client) - pongsBefore + limited(client) - limitedBefore >= count, 10_000, 5);
  expect(done, 'every ping is answered by a pong or a rate_limited error').toBe(true);
  return { accepted: pongs(client) - pongsBefore, refused: limited(client) - limitedBefore };
}

describe('limits: frame size = NEXUS_MAX_PAYLOAD (4096) → close 1009', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ env: { NEXUS_MAX_PAYLOAD: '4096' } });
  });
  afterAll(() => server.close());

  const frameOfSize = (size: number) => {
    const empty = JSON.stringify({ action: 'publish', channel: 'limits.size', id: 'big', payload: '' });
    const text = JSON.stringify({
      action: 'publish',
      channel: 'limits.size',
      id: 'big',
      payload: 'p'.repeat(size - Buffer.byteLength(empty)),
    });
    expect(Buffer.byteLength(text)).toBe(size);
    return text;
  };

  it('a frame of exactly NEXUS_MAX_PAYLOAD bytes is accepted', async () => {
    const client = await connectAs(server);
    const ack = client.next((f) => f.id === 'big');
    client.send(frameOfSize(4096));
    expect(await ack).toMatchObject({ type: 'ack', channel: 'limits.size' });
    await client.close();
  });

  it('one byte more closes the connection with 1009; other connections stay', async () => {
    const bystander = await connectAs(server, 'viewer');
    const client = await connectAs(server);
    client.send(frameOfSize(4097));
    const closed = await Promise.race([client.closed, notClosed(5000)]);
    expect(closed.code).toBe(1009);
    await bystander.assertAlive();
    await bystander.close();
  });
});

describe('limits: frames per connection (100/s sustained, bursts of 200)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it('a burst of 200 frames is served in full; frames beyond it get rate_limited and are dropped', async () => {
    const client = await connectAs(server);
    const startedAt = Date.now();
    const first = await pingBurst(client, 200);
    expect(first).toEqual({ accepted: 200, refused: 0 });
    const second = await pingBurst(client, 100);
    const elapsedSeconds = (Date.now() - startedAt) / 1000;
    expect(second.refused).toBeGreaterThan(0);
    expect(second.accepted).toBeLessThanOrEqual(Math.ceil(100 * elapsedSeconds) + 3);
    const error = client.frames.find((f) => f.type === 'error' && f.code === 'rate_limited');
    expect(typeof error?.message).toBe('string');
    // A dropped publish is not delivered.
    const watcher = await connectAs(server, 'viewer');
    await watcher.subscribe('limits.dropped');
    // Drain the bucket again, in a new flood (a calm second first): its refusals are answered one by one.
    await sleep(1100);
    await pingBurst(client, 200);
    const seen = client.frames.length;
    client.send({ action: 'publish', channel: 'limits.dropped', payload: 'dropped?', id: 'maybe' });
    // Take the next reply: a rate_limited error, or the ack if the bucket refilled meanwhile.
    expect(await pollUntil(() => client.frames.length > seen, 5000)).toBe(true);
    const reply = client.frames[seen]!;
    expect(['error', 'ack']).toContain(reply.type);
    // The fan-out to the watcher happens before the publisher's reply: a round trip on the
    // watcher's connection brings anything it was sent.
    await watcher.barrier();
    if (reply.type === 'error') {
      expect(reply.code).toBe('rate_limited');
      expect(watcher.ofType('message')).toHaveLength(0);
    } else {
      // Refill let it through (slow machine): then it must have been delivered.
      expect(watcher.ofType('message')).toHaveLength(1);
    }
    expect(client.socket.readyState).toBe(client.socket.OPEN);
    await Promise.all([client.close(), watcher.close()]);
  });

  it('the bucket refills at about 100 frames per second, not all at once', async () => {
    const client = await connectAs(server);
    const drainStartedAt = Date.now();
    const drain = await pingBurst(client, 260);
    expect(drain.refused).toBeGreaterThan(0);
    await sleep(1000);
    // Few enough refusals (with the drain's) to be answered one by one, not to pause reading.
    const again = await pingBurst(client, 130);
    const windowSeconds = (Date.now() - drainStartedAt) / 1000;
    expect(again.accepted).toBeGreaterThanOrEqual(95);
    expect(again.accepted).toBeLessThanOrEqual(Math.ceil(100 * windowSeconds) + 2);
    expect(again.refused).toBeGreaterThan(0);
    await client.close();
  });

  it('a client sending under the sustained rate (50/s for 2 s after a 190-frame burst) never gets rate_limited', async () => {
    const client = await connectAs(server);
    const burst = await pingBurst(client, 190);
    expect(burst).toEqual({ accepted: 190, refused: 0 });
    const pongsBefore = pongs(client);
    let sent = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        client.send({ action: 'ping' });
        if (++sent >= 100) {
          clearInterval(timer);
          resolve();
        }
      }, 20);
    });
    expect(await pollUntil(() => pongs(client) - pongsBefore >= 100, 5000)).toBe(true);
    expect(limited(client)).toBe(0);
    expect(client.socket.readyState).toBe(client.socket.OPEN);
    await client.close();
  });

  it('still flooding after 2 s → close 1008 (not before); reading pauses meanwhile', async () => {
    const bystander = await connectAs(server, 'viewer');
    const client = await connectAs(server);
    // Spend the burst at once so the flood starts now, then keep sending ~150 frames/s.
    for (let i = 0; i < 300; i++) client.send({ action: 'ping' });
    expect(await pollUntil(() => limited(client) > 0, 5000, 2)).toBe(true);
    const floodStartedAt = Date.now();
    let closedAt: number | undefined;
    void client.closed.then(() => (closedAt = Date.now()));
    let sent = 0;
    const timer = setInterval(() => {
      if (client.socket.readyState !== client.socket.OPEN || Date.now() - floodStartedAt > 5000 || sent > 2000) {
        clearInterval(timer);
        return;
      }
      for (let i = 0; i < 3; i++, sent++) client.send({ action: 'ping' });
    }, 20);
    try {
      const closed = await Promise.race([client.closed, notClosed(6000)]);
      expect(closed).toMatchObject({ code: 1008 });
      const floodMs = (closedAt ?? Date.now()) - floodStartedAt;
      expect(floodMs).toBeGreaterThanOrEqual(1900);
      expect(floodMs).toBeLessThanOrEqual(3500);
      // Reading paused once the refusals passed a hundred: one rate_limited says so.
      expect(client.frames.filter((f) => f.code === 'rate_limited' && /not read/.test(String(f.message)))).toHaveLength(
        1,
      );
      // Other connections are not affected.
      await bystander.assertAlive();
    } finally {
      clearInterval(timer);
      await Promise.all([client.close(), bystander.close()]);
    }
  }, 15_000);
});

describe('limits: rate_limited carries the id of the dropped frame', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it('every frame of a burst past the limit settles: a pong or a rate_limited error with its id', async () => {
    const client = await connectAs(server);
    const ids = Array.from({ length: 300 }, (_, i) => (i % 2 === 0 ? `p-${i}` : i));
    for (const id of ids) client.send({ action: 'ping', id });
    expect(await pollUntil(() => pongs(client) + limited(client) >= ids.length, 10_000, 5)).toBe(true);
    const errors = client.frames.filter((f) => f.type === 'error' && f.code === 'rate_limited');
    expect(errors.length).toBeGreaterThan(0);
    const settled = [...client.ofType('pong'), ...errors].map((f) => f.id);
    expect(new Set(settled)).toEqual(new Set(ids));
    expect(settled).toHaveLength(ids.length);
    await client.close();
  });

  it('while limited: a publish gets its id back and reaches nobody; text that is not JSON gets no id', async () => {
    const client = await connectAs(server);
    const watcher = await connectAs(server, 'viewer');
    await watcher.subscribe('limits.limited-id');
    await pingBurst(client, 250); // spend the bucket (50 refusals: answered one by one)
    const seen = client.frames.length;
    client.send({ action: 'publish', channel: 'limits.limited-id', id: 'dropped-publish', payload: 1 });
    client.send('{"id":"not json",');
    client.send({ action: 'ping', id: 'x'.repeat(500) }); // too long to be an id
    expect(await pollUntil(() => client.frames.length >= seen + 3, 5000)).toBe(true);
    // A publish let through by a refill is answered once published, after the immediate errors.
    const replies = client.frames.slice(seen, seen + 3);
    const publishReply = replies.find((f) => f.id === 'dropped-publish' || f.type === 'ack');
    const [notJson, longId] = replies.filter((f) => f !== publishReply);
    if (publishReply!.type === 'error') {
      expect(publishReply).toMatchObject({ code: 'rate_limited', id: 'dropped-publish' });
      await watcher.assertAlive();
      expect(watcher.ofType('message')).toHaveLength(0);
    } else {
      // Refill let it through (slow machine).
      expect(publishReply).toMatchObject({ type: 'ack', id: 'dropped-publish' });
    }
    for (const reply of [notJson, longId]) {
      if (reply!.type !== 'error' || reply!.code !== 'rate_limited') continue;
      expect(reply).not.toHaveProperty('id');
    }
    await Promise.all([client.close(), watcher.close()]);
  });
});

describe('limits: rates per role (NEXUS_POLICY: operator 5000/s, bursts of 10000)', () => {
  let server: TestServer;
  const dir = mkdtempSync(join(tmpdir(), 'nexus-rates-'));
  beforeAll(async () => {
    const policy = {
      roles: {
        viewer: { subscribe: ['*'], publish: [] },
        operator: { subscribe: ['*'], publish: ['*'], rate: { perSecond: 5000, burst: 10000 } },
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

  it('one operator connection publishes 2,000 frames in about a second, none refused; a viewer keeps 100/s, bursts of 200', async () => {
    const channel = 'limits.fast-backend';
    const subscriber = await LeanSubscriber.connect(server.wsUrl, await tokenFor('rates-sub', 'viewer'));
    await subscriber.subscribe(channel);
    const backend = await connectAs(server, 'operator');
    // 200 frames every 100 ms: 2,000 in about a second, twenty times the default rate.
    for (let batch = 0; batch < 10; batch++) {
      for (let i = 0; i < 200; i++) backend.send({ action: 'publish', channel, id: batch * 200 + i, payload: { i } });
      await sleep(100);
    }
    expect(await pollUntil(() => backend.ofType('ack').length + limited(backend) >= 2000, 10_000)).toBe(true);
    expect(limited(backend)).toBe(0);
    expect(backend.ofType('ack')).toHaveLength(2000);
    await subscriber.waitFor(2000, 10_000);
    expect(subscriber.seqs).toEqual(Array.from({ length: 2000 }, (_, k) => k + 1));

    const viewer = await connectAs(server, 'viewer');
    const burst = await pingBurst(viewer, 300);
    expect(burst.accepted).toBeGreaterThanOrEqual(200);
    expect(burst.accepted).toBeLessThan(260);
    expect(burst.refused).toBeGreaterThan(0);
    await Promise.all([backend.close(), viewer.close(), subscriber.close()]);
  });
});

describe('limits: task params (16 KiB of JSON) → invalid_command', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it('an execute_task whose params exceed 16 KiB is refused with its id and reaches nobody; 1 KiB is fine', async () => {
    const watcher = await connectAs(server, 'viewer');
    await watcher.subscribe('commands');
    const operator = await connectAs(server, 'operator');
    const command = (taskId: string, bytes: number) => ({
      command: 'execute_task',
      task_id: taskId,
      params: { blob: 'p'.repeat(bytes) },
    });
    const refused = await operator.request({
      action: 'publish',
      channel: 'commands',
      id: 'too-big',
      payload: command('task-too-big', 17 * 1024),
    });
    expect(refused).toMatchObject({ type: 'error', code: 'invalid_command', id: 'too-big' });
    const unknown = await operator.request({
      action: 'publish',
      channel: 'commands',
      id: 'unknown',
      payload: { command: 'self_destruct', task_id: 'task-x' },
    });
    expect(unknown).toMatchObject({ type: 'error', code: 'invalid_command', id: 'unknown' });
    const accepted = await operator.request({
      action: 'publish',
      channel: 'commands',
      id: 'fits',
      payload: command('task-fits', 1024),
    });
    expect(accepted).toMatchObject({ type: 'ack', id: 'fits', seq: 1 });
    const delivered = await watcher.next((f) => f.type === 'message');
    expect(delivered).toMatchObject({ seq: 1, data: { task_id: 'task-fits' } });
    await watcher.assertAlive();
    expect(watcher.ofType('message')).toHaveLength(1);
    await Promise.all([watcher.close(), operator.close()]);
  });
});

describe('limits: subscriptions per connection (100)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it('the 101st distinct subscription is refused; repeating one held is not a new one; unsubscribing frees a slot', async () => {
    const client = await connectAs(server, 'viewer');
    const replies = await Promise.all(Array.from({ length: 100 }, (_, i) => client.subscribe(`limits.sub.${i}`)));
    expect(replies.filter((r) => r.type === 'subscribed')).toHaveLength(100);
    expect(await client.subscribe('limits.sub.extra')).toMatchObject({ type: 'error', code: 'too_many_subscriptions' });
    expect(await client.subscribe('limits.sub.extra', { filters: { a: 1 } })).toMatchObject({
      type: 'error',
      code: 'too_many_subscriptions',
    });
    // Subscribing again to a channel already held (same filters) is idempotent, not a 101st.
    expect(await client.subscribe('limits.sub.5')).toMatchObject({ type: 'subscribed', channel: 'limits.sub.5' });
    expect(await client.request({ action: 'unsubscribe', channel: 'limits.sub.7' })).toMatchObject({
      type: 'unsubscribed',
      channel: 'limits.sub.7',
    });
    expect(await client.subscribe('limits.sub.extra')).toMatchObject({
      type: 'subscribed',
      channel: 'limits.sub.extra',
    });
    expect(await client.subscribe('limits.sub.more')).toMatchObject({ type: 'error', code: 'too_many_subscriptions' });
    await client.close();
  });

  it('the limit is per connection: another connection of the same user has its own 100', async () => {
    const token = await tokenFor('limits-same-user', 'viewer');
    const a = await TestClient.connect(server.wsUrl, token);
    const b = await TestClient.connect(server.wsUrl, token);
    await Promise.all(Array.from({ length: 100 }, (_, i) => a.subscribe(`limits.per.${i}`)));
    expect(await a.subscribe('limits.per.x')).toMatchObject({ type: 'error', code: 'too_many_subscriptions' });
    expect(await b.subscribe('limits.per.x')).toMatchObject({ type: 'subscribed' });
    await Promise.all([a.close(), b.close()]);
  });
});

describe('limits: slow consumer (NEXUS_MAX_BUFFERED=262144) → close 4008', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({
      env: { NEXUS_MAX_BUFFERED: '262144', NEXUS_DEFLATE: 'off', NEXUS_HISTORY_SIZE: '10' },
      // Long enough for the client below to drain its backlog and read the close frame.
      deps: { closeGraceMs: 5000 },
    });
  });
  afterAll(() => server.close());

  it('a consumer that stops reading is closed with 4008 "slow consumer", seen once it reads again', async () => {
    const slow = await connectAs(server, 'viewer');
    await slow.subscribe('limits.slow');
    tcpOf(slow).pause();
    const publishers = await Promise.all([connectAs(server), connectAs(server), connectAs(server)]);
    const blob = 's'.repeat(60_000);
    let cut = false;
    let published = 0;
    // Bounded: at most 180 × 3 publishes of 60 KB (~32 MB), stop as soon as the server cuts.
    for (let round = 0; round < 18 && !cut; round++) {
      for (const publisher of publishers) {
        const acks = [];
        for (let i = 0; i < 10; i++) acks.push(publisher.publish('limits.slow', { round, i, blob }));
        for (const ack of await Promise.all(acks)) expect(ack.type).toBe('ack');
        published += 10;
      }
      const metrics = await scrapeMetrics(server);
      cut = (metricValue(metrics, 'nexus_dropped_total', 'reason="slow_consumer"') ?? 0) >= 1;
    }
    expect(cut, `not cut after ${published} messages of 60 KB`).toBe(true);
    tcpOf(slow).resume();
    const closed = await Promise.race([slow.closed, notClosed(5000)]);
    expect(closed).toEqual({ code: 4008, reason: 'slow consumer' });
    expect(slow.ofType('message').length).toBeLessThan(published);
    // Publishers are unaffected.
    for (const publisher of publishers) await publisher.assertAlive();
    await Promise.all(publishers.map((p) => p.close()));
  }, 30_000);
});

describe('limits: binary frames are not accepted', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it('answers binary_not_supported and keeps serving text frames on the same connection', async () => {
    const client = await connectAs(server);
    const reply = client.next((f) => f.type === 'error');
    client.socket.send(Buffer.from('{"action":"ping"}'), { binary: true });
    expect(await reply).toMatchObject({ type: 'error', code: 'binary_not_supported' });
    expect(client.ofType('pong')).toHaveLength(0);
    await client.assertAlive();
    await client.close();
  });
});

describe('NEXUS_DEFLATE', () => {
  /** Bytes read on the subscriber's TCP socket while it receives one message of `payload`. */
  async function wireBytesFor(
    server: TestServer,
    subscriber: TestClient,
    publisher: TestClient,
    channel: string,
    payload: string,
  ) {
    const before = tcpOf(subscriber).bytesRead;
    const received = subscriber.next((f) => f.type === 'message' && f.channel === channel);
    await publisher.publish(channel, payload);
    const message = await received;
    const frameBytes = Buffer.byteLength(JSON.stringify(message));
    return { wire: tcpOf(subscriber).bytesRead - before, frameBytes };
  }

  it('on (default): permessage-deflate is negotiated; frames under 1 KiB go uncompressed, larger ones compressed', async () => {
    const server = await startServer({ env: { NEXUS_DEFLATE: 'on' } });
    try {
      const subscriber = await connectAs(server, 'viewer');
      const publisher = await connectAs(server);
      expect(subscriber.socket.extensions).toContain('permessage-deflate');
      await subscriber.subscribe('limits.deflate');
      const small = await wireBytesFor(server, subscriber, publisher, 'limits.deflate', 'a'.repeat(600));
      expect(small.frameBytes).toBeLessThan(1024);
      expect(
        small.wire,
        `a ${small.frameBytes}-byte frame took ${small.wire} bytes on the wire: it was compressed`,
      ).toBeGreaterThanOrEqual(small.frameBytes);
      const large = await wireBytesFor(server, subscriber, publisher, 'limits.deflate', 'a'.repeat(50_000));
      expect(large.frameBytes).toBeGreaterThan(50_000);
      expect(large.wire).toBeLessThan(5_000);
      await Promise.all([subscriber.close(), publisher.close()]);
    } finally {
      await server.close();
    }
  });

  it('off: permessage-deflate is not negotiated even when the client offers it; frames go uncompressed', async () => {
    const server = await startServer({ env: { NEXUS_DEFLATE: 'off' } });
    try {
      const subscriber = await TestClient.connect(server.wsUrl, await tokenFor('limits-nodeflate', 'viewer'), {
        perMessageDeflate: true,
      });
      const publisher = await connectAs(server);
      expect(subscriber.socket.extensions).not.toContain('permessage-deflate');
      await subscriber.subscribe('limits.plain');
      const large = await wireBytesFor(server, subscriber, publisher, 'limits.plain', 'a'.repeat(50_000));
      expect(large.wire).toBeGreaterThanOrEqual(large.frameBytes);
      await Promise.all([subscriber.close(), publisher.close()]);
    } finally {
      await server.close();
    }
  });
});
