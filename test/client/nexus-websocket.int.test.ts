/**
 * NexusWebSocket (Node entry, `ws`) against real Nexus servers on 127.0.0.1, port 0: the happy
 * path, a server restart on the same port, connections cut or blackholed by a TCP proxy, token
 * expiry and refusal, and the offline queue.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DeliveryFrame } from '@nexus-realtime/client/protocol';
import { ISO_8601, uniqueChannel } from '../helpers/assertions.js';
import { metricValue, pollUntil, scrapeMetrics } from '../helpers/raw.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { startProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { signToken, tokenFor } from '../helpers/tokens.js';
import { clientBarrier } from '../helpers/client-barrier.js';
import { sleep, TestClient } from '../helpers/ws-client.js';
import {
  NexusWebSocket,
  type ClientEvents,
  type NexusWebSocketOptions,
  type TokenProvider,
} from '@nexus-realtime/client';

const cleanups: (() => unknown)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      await cleanup();
    } catch {
      // already closed
    }
  }
});

async function server(env: Record<string, string> = {}): Promise<TestServer> {
  const started = await startServer({ env });
  let closed = false;
  const close = started.close.bind(started);
  started.close = async () => {
    if (closed) return;
    closed = true;
    await close();
  };
  cleanups.push(() => started.close());
  return started;
}

async function proxyTo(port: number): Promise<TcpProxy> {
  const proxy = await startProxy(port);
  cleanups.push(() => proxy.close());
  return proxy;
}

async function testClient(url: string, token: string): Promise<TestClient> {
  const client = await TestClient.connect(url, token);
  cleanups.push(() => client.close());
  return client;
}

function nexus(url: string, token: TokenProvider, options: NexusWebSocketOptions = {}) {
  const client = new NexusWebSocket(url, token, options);
  cleanups.push(() => client.disconnect());
  const record = <K extends keyof ClientEvents>(name: K): (ClientEvents[K] & { at: number })[] => {
    const list: (ClientEvents[K] & { at: number })[] = [];
    client.on(name, (context) => list.push({ ...context, at: Date.now() }));
    return list;
  };
  const log = {
    state: record('state'),
    connected: record('connected'),
    disconnected: record('disconnected'),
    reconnecting: record('reconnecting'),
    reconnect_failed: record('reconnect_failed'),
    error: record('error'),
    gap: record('gap'),
    rtt: record('rtt'),
  };
  return { client, log };
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  if (!(await pollUntil(check, timeoutMs, 10))) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Records what a client's channel listener receives. */
function collect(client: NexusWebSocket, channel: string) {
  const frames: DeliveryFrame[] = [];
  client.on(channel, (_data, frame) => frames.push(frame));
  return frames;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('NexusWebSocket against a real server', () => {
  it('a burst far over the rate: every publish settles (acked, or rate_limited, dropped unread included), none hangs', async () => {
    const srv = await server();
    const operator = nexus(srv.wsUrl, await tokenFor('int-burst', 'operator'));
    operator.client.connect();
    await until(() => operator.client.state === 'open', 2000, 'open');
    const channel = uniqueChannel('burst');
    const results = await Promise.all(Array.from({ length: 600 }, (_, i) => operator.client.publish(channel, i)));
    const codes = new Map<string, number>();
    for (const r of results) {
      const key = r.ok ? 'ok' : r.code;
      codes.set(key, (codes.get(key) ?? 0) + 1);
    }
    // 200 in the burst allowance, 100 refused with their id; the rest dropped unread (settled by a
    // later answer or by the ping sent after the pause) or, when the server had not read them all
    // before it paused and they flood on when it resumes, settled by the 1008 close.
    expect(codes.get('ok')).toBeGreaterThanOrEqual(200);
    expect(codes.get('rate_limited'), JSON.stringify([...codes])).toBeGreaterThanOrEqual(100);
    expect(
      [...codes.keys()].every((code) => ['ok', 'rate_limited', 'disconnected', 'policy_violation'].includes(code)),
    ).toBe(true);
  }, 15_000);

  it('connects, subscribes, publishes and gets the ack; listeners get (data, frame)', async () => {
    const srv = await server();
    const viewer = nexus(srv.wsUrl, await tokenFor('int-viewer'));
    const operator = nexus(srv.wsUrl, await tokenFor('int-op', 'operator'));
    viewer.client.connect();
    operator.client.connect();
    const channel = uniqueChannel('client');
    const subscribed = await viewer.client.subscribe(channel);
    expect(subscribed).toEqual({ ok: true, seq: 0, epoch: expect.stringMatching(/\S/) });
    expect(viewer.client.state).toBe('open');
    expect(viewer.log.connected).toEqual([
      {
        connectionId: expect.any(String),
        userId: 'int-viewer',
        role: 'viewer',
        heartbeatMs: expect.any(Number),
        at: expect.any(Number),
      },
    ]);
    const received: [unknown, DeliveryFrame][] = [];
    viewer.client.on(channel, (data, frame) => received.push([data, frame]));

    await until(() => operator.client.state === 'open', 2000, 'operator open');
    const { epoch } = subscribed as { epoch: string };
    expect(await operator.client.publish(channel, { n: 1 })).toEqual({ ok: true, seq: 1, epoch, channel });
    expect(await operator.client.publish(channel, { n: 2 })).toEqual({ ok: true, seq: 2, epoch, channel });
    await until(() => received.length === 2, 2000, 'two deliveries');
    expect(received[0]).toEqual([
      { n: 1 },
      {
        type: 'message',
        channel,
        from: 'int-op',
        data: { n: 1 },
        timestamp: expect.stringMatching(ISO_8601),
        seq: 1,
        epoch: (subscribed as { epoch: string }).epoch,
      },
    ]);
    expect(received.map(([data]) => data)).toEqual([{ n: 1 }, { n: 2 }]);

    // A refused publish resolves with the server's error (never rejects) and raises `error`.
    expect(await viewer.client.publish(channel, { n: 3 })).toMatchObject({ ok: false, code: 'forbidden' });
    expect(viewer.log.error).toEqual([expect.objectContaining({ code: 'forbidden' })]);

    // The heartbeat's round-trip time is emitted and readable.
    operator.client.checkLiveness();
    await until(() => operator.log.rtt.length === 1, 2000, 'rtt event');
    expect(operator.client.rttMs).toBe(operator.log.rtt[0]!.rttMs);
    expect(operator.client.rttMs).toBeGreaterThanOrEqual(0);
    expect(operator.client.rttMs).toBeLessThan(1000);
  });

  it('server restarted on the same port: reconnects with backoff, resubscribes with its filters, reports the gap', async () => {
    const first = await server();
    const port = first.port;
    const { client, log } = nexus(first.wsUrl, await tokenFor('restart-op', 'operator'), {
      initialDelayMs: 50,
      maxDelayMs: 500,
    });
    client.connect();
    const channel = uniqueChannel('restart');
    const subscribed = await client.subscribe(channel, { agent_id: 'a1' });
    expect(subscribed).toMatchObject({ ok: true, seq: 0 });
    const firstEpoch = (subscribed as { epoch: string }).epoch;
    const frames = collect(client, channel);
    await client.publish(channel, { agent_id: 'a2', n: 1 });
    await client.publish(channel, { agent_id: 'a1', n: 2 });
    await until(() => frames.length === 1, 2000, 'the a1 message');

    await first.close();
    await until(() => log.disconnected.length === 1, 2000, 'disconnected');
    expect(log.disconnected[0]).toMatchObject({ code: 1012, willReconnect: true });
    // Stay down long enough for several refused attempts.
    await until(() => log.reconnecting.length >= 3, 3000, 'three reconnect attempts');
    const second = await server({ PORT: String(port) });
    await until(() => client.state === 'open', 5000, 'open again');
    await until(() => log.gap.length === 1, 2000, 'gap event');

    // After 1012 the first retry waits a random delay under 2 s (clients spread out); later
    // attempts use the backoff: attempt n waited a jittered delay below min(500, 50 × 2^(n-1)).
    log.reconnecting.forEach((r, i) => {
      expect(r.attempt).toBe(i + 1);
      expect(r.delayMs).toBeGreaterThanOrEqual(0);
      expect(r.delayMs).toBeLessThan(i === 0 ? 2000 : Math.min(500, 50 * 2 ** i));
    });
    expect(log.state.map((s) => s.next)).toContain('reconnecting');
    expect(log.connected).toHaveLength(2);
    // The new server has a new epoch: no recovery possible, and the client says so.
    expect(log.gap[0]).toMatchObject({ channel, since: 2, seq: 0 });
    expect(log.gap[0]!.epoch).not.toBe(firstEpoch);

    // The filter survived the reconnect: a2 is not delivered, a1 is.
    const publisher = await testClient(second.wsUrl, await tokenFor('restart-pub', 'operator'));
    expect((await publisher.publish(channel, { agent_id: 'a2', n: 3 })).type).toBe('ack');
    expect((await publisher.publish(channel, { agent_id: 'a1', n: 4 })).type).toBe('ack');
    await until(() => frames.length === 2, 2000, 'the second a1 message');
    await clientBarrier(client);
    expect(frames.map((f) => f.data)).toEqual([
      { agent_id: 'a1', n: 2 },
      { agent_id: 'a1', n: 4 },
    ]);
    expect(frames[1]).toMatchObject({ seq: 2, epoch: log.gap[0]!.epoch });
  });

  it('presence: a subscription made with { presence: true } hears joins and leaves, and asks again after a reconnect', async () => {
    const srv = await server();
    const proxy = await proxyTo(srv.port);
    const { client } = nexus(proxy.url, await tokenFor('presence-watcher'), { initialDelayMs: 50, maxDelayMs: 100 });
    const heard: string[] = [];
    client.on('presence', (p) => heard.push(`${p.event}:${p.userId}:${p.role}`));
    client.connect();
    const channel = uniqueChannel('presence');
    expect(await client.subscribe(channel, undefined, { presence: true })).toMatchObject({ ok: true });
    const visitor = await testClient(srv.wsUrl, await tokenFor('presence-visitor', 'operator'));
    expect((await visitor.subscribe(channel)).type).toBe('subscribed');
    await until(() => heard.includes('join:presence-visitor:operator'), 10_000, 'the join');

    proxy.cutAll();
    await until(() => client.state === 'reconnecting', 5000, 'reconnecting');
    await until(() => client.state === 'open', 10_000, 'open again');
    // The resubscribe asked for presence again: the visitor leaving is heard on the new connection.
    await visitor.close();
    await until(() => heard.includes('leave:presence-visitor:operator'), 15_000, 'the leave');
  });

  it('connection cut while another client publishes 20 messages: every one recovered, in order, exactly once', async () => {
    const srv = await server();
    const proxy = await proxyTo(srv.port);
    // A fixed 396 ms reconnect delay, so the 20 messages are published while the client is away.
    const { client, log } = nexus(proxy.url, await tokenFor('recover-viewer'), {
      initialDelayMs: 400,
      maxDelayMs: 400,
      random: () => 0.99,
    });
    const publisher = await testClient(srv.wsUrl, await tokenFor('recover-op', 'operator'));
    client.connect();
    const channel = uniqueChannel('recover');
    await client.subscribe(channel);
    const frames = collect(client, channel);
    for (const n of range(1, 3)) await publisher.publish(channel, { n });
    await until(() => frames.length === 3, 2000, 'three live messages');

    proxy.cutAll();
    await until(() => client.state === 'reconnecting', 2000, 'reconnecting');
    for (const n of range(4, 23)) expect((await publisher.publish(channel, { n })).type).toBe('ack');
    expect(client.state).toBe('reconnecting'); // all 20 were published while it was away
    // More messages race with the resubscribe and its replay.
    let racing: Promise<unknown> = Promise.resolve();
    client.on('connected', () => {
      racing = (async () => {
        for (const n of range(24, 33)) await publisher.publish(channel, { n });
      })();
    });

    await until(() => frames.length >= 33, 5000, '33 deliveries');
    await racing;
    await clientBarrier(client);
    expect(frames.map((f) => f.seq)).toEqual(range(1, 33));
    expect(frames.map((f) => (f.data as { n: number }).n)).toEqual(range(1, 33));
    expect(log.gap).toEqual([]);
    expect(log.connected).toHaveLength(2);
    expect(log.disconnected).toEqual([expect.objectContaining({ code: 1006, willReconnect: true })]);
  });

  it('two filtered subscriptions on one channel: a cut connection recovers every missed message exactly once', async () => {
    const srv = await server();
    const proxy = await proxyTo(srv.port);
    const { client } = nexus(proxy.url, await tokenFor('recover2-viewer'), {
      initialDelayMs: 400,
      maxDelayMs: 400,
      random: () => 0.99,
    });
    const publisher = await testClient(srv.wsUrl, await tokenFor('recover2-op', 'operator'));
    client.connect();
    const channel = uniqueChannel('recover2');
    await client.subscribe(channel, { agent_id: 'a1' });
    await client.subscribe(channel, { agent_id: 'a2' });
    const frames = collect(client, channel);
    const agentOf = (n: number) => (n % 2 === 1 ? 'a1' : 'a2');
    for (const n of range(1, 2)) await publisher.publish(channel, { agent_id: agentOf(n), n });
    await until(() => frames.length === 2, 2000, 'two live messages');

    proxy.cutAll();
    await until(() => client.state === 'reconnecting', 2000, 'reconnecting');
    for (const n of range(3, 10)) await publisher.publish(channel, { agent_id: agentOf(n), n });
    expect(client.state).toBe('reconnecting');
    await until(() => client.state === 'open', 3000, 'open again');
    await until(() => frames.length >= 10, 1500, 'ten deliveries').catch(() => undefined);
    await clientBarrier(client);
    expect(frames.map((f) => f.seq)).toEqual(range(1, 10));
  });

  it('two channels, one with two filtered subscriptions: after a cut, every message arrives exactly once, in seq order per channel', async () => {
    const srv = await server();
    const proxy = await proxyTo(srv.port);
    const { client, log } = nexus(proxy.url, await tokenFor('resync-viewer'), {
      initialDelayMs: 400,
      maxDelayMs: 400,
      random: () => 0.99,
    });
    const publisher = await testClient(srv.wsUrl, await tokenFor('resync-op', 'operator'));
    client.connect();
    const filtered = uniqueChannel('resync-f');
    const plain = uniqueChannel('resync-p');
    // Resubscribed in this order, so the replays of the two channels interleave in the hold.
    await client.subscribe(filtered, { agent_id: 'a1' });
    await client.subscribe(plain);
    await client.subscribe(filtered, { agent_id: ['a2', 'a4'] });
    const got = { [filtered]: collect(client, filtered), [plain]: collect(client, plain) };
    // Every third message of the filtered channel is for an agent nobody asked for.
    const agents = ['a1', 'a2', 'a3', 'a4', 'a1', 'a3'];
    const sent: Record<string, number[]> = { [filtered]: [], [plain]: [] };
    let n = 0;
    const publishBoth = async () => {
      n++;
      const agent = agents[n % agents.length]!;
      const f = await publisher.publish(filtered, { agent_id: agent, n });
      if (agent !== 'a3') sent[filtered]!.push(f.seq as number);
      const p = await publisher.publish(plain, { n });
      sent[plain]!.push(p.seq as number);
    };
    for (let i = 0; i < 4; i++) await publishBoth();
    await until(() => got[plain]!.length === 4, 2000, 'the live messages');

    proxy.cutAll();
    await until(() => client.state === 'reconnecting', 2000, 'reconnecting');
    for (let i = 0; i < 30; i++) await publishBoth();
    expect(client.state).toBe('reconnecting');
    // More messages race with the resubscribes and their replays.
    let racing: Promise<unknown> = Promise.resolve();
    client.on('connected', () => {
      racing = (async () => {
        for (let i = 0; i < 15; i++) await publishBoth();
      })();
    });
    await until(() => log.connected.length === 2, 3000, 'reconnected');
    await racing;
    const everything = () =>
      got[plain]!.length >= sent[plain]!.length && got[filtered]!.length >= sent[filtered]!.length;
    // On failure, the comparison below shows what was lost or misordered.
    await until(everything, 3000, 'every message').catch(() => undefined);
    await clientBarrier(client);
    for (const channel of [filtered, plain]) {
      expect(
        got[channel]!.map((f) => f.seq),
        channel,
      ).toEqual(sent[channel]);
    }
    expect(got[filtered]!.every((f) => (f.data as { agent_id: string }).agent_id !== 'a3')).toBe(true);
    expect(log.gap).toEqual([]);
  });

  it('publishes past the rate limit settle with rate_limited; the others are acked; nothing stays pending', async () => {
    const srv = await server();
    const { client, log } = nexus(srv.wsUrl, await tokenFor('flood-op', 'operator'));
    client.connect();
    await until(() => client.state === 'open', 2000, 'open');
    const channel = uniqueChannel('flood');
    const results = await Promise.all(range(1, 260).map((n) => client.publish(channel, { n })));
    const acked = results.filter((r) => r.ok);
    const limited = results.filter((r) => !r.ok && r.code === 'rate_limited');
    expect(acked.length + limited.length).toBe(260);
    expect(limited.length).toBeGreaterThan(0);
    expect(acked.map((r) => (r as { seq: number }).seq)).toEqual(range(1, acked.length));
    expect(log.error.filter((e) => e.code === 'rate_limited')).toHaveLength(limited.length);
    expect(client.state).toBe('open');
  });

  it('blackholed connection: the heartbeat detects it within ping + timeout, and the client reconnects', async () => {
    const srv = await server();
    const proxy = await proxyTo(srv.port);
    const { client, log } = nexus(proxy.url, await tokenFor('blackhole-op', 'operator'), {
      pingIntervalMs: 200,
      pongTimeoutMs: 300,
      initialDelayMs: 50,
      maxDelayMs: 200,
      connectTimeoutMs: 500,
    });
    client.connect();
    await until(() => client.state === 'open', 2000, 'open');
    await until(() => log.rtt.length >= 1, 1000, 'a heartbeat round trip');
    expect(client.rttMs).toBeGreaterThanOrEqual(0);
    expect(client.rttMs).toBeLessThan(300);

    const blackholedAt = Date.now();
    proxy.blackhole(true);
    await until(() => log.disconnected.length === 1, 2000, 'the dead connection to be noticed');
    const detectedAfter = log.disconnected[0]!.at - blackholedAt;
    expect(log.disconnected[0]).toMatchObject({ code: 1006, willReconnect: true });
    expect(log.disconnected[0]!.reason).toMatch(/heartbeat/);
    expect(detectedAfter).toBeGreaterThan(150); // not a socket error: the pong timeout
    expect(detectedAfter).toBeLessThanOrEqual(200 + 300 + 250);

    // Still blackholed: no connection can open.
    await sleep(300);
    expect(client.state).not.toBe('open');
    proxy.blackhole(false);
    await until(() => client.state === 'open', 3000, 'open again through the proxy');
    expect(log.connected).toHaveLength(2);
    expect(proxy.connections).toBeGreaterThanOrEqual(2);
    const channel = uniqueChannel('blackhole');
    await client.subscribe(channel);
    expect(await client.publish(channel, { ok: 1 })).toMatchObject({ ok: true, seq: 1 });
  });

  it('token expiry with a provider: refreshed in band, the connection stays open past each expiry, nothing lost', async () => {
    const srv = await server();
    const issued: { token: string; exp: number }[] = [];
    const provider = async () => {
      const token = await signToken({
        userId: 'refresher',
        role: 'operator',
        expiresInSeconds: 2,
        extraClaims: { jti: `r${issued.length}` },
      });
      const exp = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).exp as number;
      issued.push({ token, exp });
      return token;
    };
    const { client, log } = nexus(srv.wsUrl, provider, { refreshMarginMs: 1000 });
    client.connect();
    const channel = uniqueChannel('refresh');
    await client.subscribe(channel);
    const frames = collect(client, channel);
    const publisher = await testClient(srv.wsUrl, await tokenFor('refresh-pub', 'operator'));
    let published = 0;
    let stop = false;
    const publishing = (async () => {
      for (let i = 0; i < 100 && !stop; i++) {
        await publisher.publish(channel, { n: ++published });
        await sleep(100);
      }
    })();
    // Past the expiry of the first two tokens (two in-band refreshes).
    await until(() => issued.length >= 2, 3000, 'first refresh');
    const secondExpMs = issued[1]!.exp * 1000;
    await until(() => Date.now() > secondExpMs + 300, 4000, 'the second token to expire');
    stop = true;
    await publishing;
    await until(() => frames.length === published, 2000, 'every message');

    expect(issued.length).toBeGreaterThanOrEqual(3);
    expect(Date.now()).toBeGreaterThan(issued[0]!.exp * 1000);
    expect(log.disconnected).toEqual([]);
    expect(log.state.map((s) => s.next)).toEqual(['connecting', 'open']);
    expect(log.error).toEqual([]);
    expect(client.state).toBe('open');
    expect(frames.map((f) => f.seq)).toEqual(range(1, published));
  });

  it('token expiry when the in-band refresh is refused: closed with 4001, reconnects with the next token', async () => {
    const srv = await server();
    let calls = 0;
    // The second token is for another user: the server refuses it as a refresh.
    const provider = vi.fn(async () => {
      calls++;
      return signToken({
        userId: `user-${calls}`,
        role: 'operator',
        expiresInSeconds: calls === 1 ? 2 : 60,
        extraClaims: { jti: `x${calls}` },
      });
    });
    const { client, log } = nexus(srv.wsUrl, provider, { initialDelayMs: 50, maxDelayMs: 200 });
    client.connect();
    await until(() => client.state === 'open', 2000, 'open');
    await until(() => log.disconnected.length === 1, 4000, 'the 4001 close');
    expect(log.disconnected[0]).toMatchObject({ code: 4001, willReconnect: true });
    expect(log.error).toEqual([expect.objectContaining({ code: 'forbidden' })]);
    await until(() => log.connected.length === 2, 2000, 'reconnected');
    expect(client.state).toBe('open');
    expect(log.connected.map((c) => c.userId)).toEqual(['user-1', 'user-3']);
    expect(provider).toHaveBeenCalledTimes(3);
    expect(log.reconnect_failed).toEqual([]);
  });

  it('4001 with a plain string token: failed, no reconnect', async () => {
    const srv = await server();
    const proxy = await proxyTo(srv.port);
    const token = await signToken({ userId: 'short-lived', role: 'operator', expiresInSeconds: 1 });
    const { client, log } = nexus(proxy.url, token, { initialDelayMs: 20, maxDelayMs: 50 });
    client.connect();
    await until(() => client.state === 'failed', 3000, 'failed');
    expect(log.connected).toHaveLength(1);
    expect(log.disconnected).toEqual([expect.objectContaining({ code: 4001, willReconnect: false })]);
    await sleep(200);
    expect(proxy.connections).toBe(1);
    expect(client.state).toBe('failed');
  });

  it.each([
    [401, 'missing', () => Promise.resolve('')],
    [403, 'expired', () => signToken({ userId: 'stale', role: 'operator', expiresInSeconds: -60 })],
    [
      403,
      'invalid',
      () => signToken({ userId: 'forged', role: 'admin', secret: 'another-secret-0123456789abcdefghijklmnop' }),
    ],
  ])(
    'upgrade refused with %i (%s token) and a provider with nothing new: failed after exactly one attempt',
    async (status, reason, makeToken) => {
      const srv = await server();
      const proxy = await proxyTo(srv.port);
      const token = await makeToken();
      const provider = vi.fn(() => token);
      const before = metricValue(await scrapeMetrics(srv), 'nexus_auth_failures_total', `reason="${reason}"`) ?? 0;
      const { client, log } = nexus(proxy.url, provider, { initialDelayMs: 20, maxDelayMs: 50 });
      client.connect();
      await until(() => client.state === 'failed', 3000, 'failed');
      await sleep(300);
      expect(client.state).toBe('failed');
      expect(proxy.connections).toBe(1);
      const after = metricValue(await scrapeMetrics(srv), 'nexus_auth_failures_total', `reason="${reason}"`) ?? 0;
      expect(after - before).toBe(1);
      expect(provider).toHaveBeenCalledTimes(2); // asked again before the retry, and it had nothing new
      expect(log.reconnect_failed).toHaveLength(1);
      expect(log.state.at(-1)).toMatchObject({ previous: 'connecting', next: 'failed' });
      expect(log.state.at(-1)!.reason).toMatch(new RegExp(`${status}|refused`));
      expect(log.connected).toEqual([]);
    },
  );

  it('offline queue: publishes made while the server is down are delivered after it comes back', async () => {
    const first = await server();
    const port = first.port;
    const { client } = nexus(first.wsUrl, await tokenFor('queue-op', 'operator'), {
      initialDelayMs: 50,
      maxDelayMs: 200,
    });
    client.connect();
    const channel = uniqueChannel('queue');
    await client.subscribe(channel);
    const frames = collect(client, channel);
    await first.close();
    await until(() => client.state !== 'open', 2000, 'not open');
    const results = range(1, 5).map((n) => client.publish(channel, { n }));
    expect(client.queuedCount).toBe(5);
    await sleep(150); // a few failed attempts while down: the queue keeps them
    expect(client.queuedCount).toBe(5);

    const second = await server({ PORT: String(port) });
    const settled = await Promise.all(results);
    expect(settled).toEqual(range(1, 5).map((seq) => ({ ok: true, seq, epoch: expect.any(String), channel })));
    expect(client.queuedCount).toBe(0);
    await until(() => frames.length === 5, 2000, 'the client to receive its own queued messages');
    expect(frames.map((f) => (f.data as { n: number }).n)).toEqual(range(1, 5));
    // The server really has them, in order.
    const viewer = await testClient(second.wsUrl, await tokenFor('queue-viewer'));
    await viewer.subscribe(channel, { since: 0 });
    await until(() => viewer.ofType('message').length === 5, 2000, 'replay from history');
    expect(viewer.ofType('message').map((f) => (f.data as { n: number }).n)).toEqual(range(1, 5));
  });
});
