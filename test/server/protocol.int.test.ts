/**
 * WebSocket protocol, against a real in-process server and real `ws` clients:
 * the connected frame, id echo, subscribe/unsubscribe/publish/ping, seq numbering, filters,
 * history replay (since/epoch/recovered) and error codes.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  clientPool,
  deliveredData,
  deliveries,
  ISO_8601,
  uniqueChannel,
  waitForFrame,
  waitForMarker,
} from '../helpers/assertions.js';
import { BrokerUnavailableError, type Broker, MemoryBroker } from '../../src/server/broker/index.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { signToken, tokenFor } from '../helpers/tokens.js';
import type { Frame, TestClient } from '../helpers/ws-client.js';

const HEARTBEAT_MS = 15_000;

const pool = clientPool();
afterEach(() => pool.closeAll());

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ env: { NEXUS_HEARTBEAT_MS: String(HEARTBEAT_MS) } });
});
afterAll(() => server.close());

const connect = async (userId: string, role = 'viewer') => pool.connect(server.wsUrl, await tokenFor(userId, role));

/** Publishes each payload in order (with ids, waiting for each ack); returns the acks. */
async function publishAll(client: TestClient, channel: string, payloads: unknown[]): Promise<Frame[]> {
  const acks: Frame[] = [];
  for (const payload of payloads) {
    const ack = await client.publish(channel, payload);
    expect(ack, JSON.stringify(ack)).toMatchObject({ type: 'ack', channel });
    acks.push(ack);
  }
  return acks;
}

/**
 * Subscribes `subscriber` with `filters`, publishes `payloads` then a marker that matches the
 * filters, and returns the data of every delivery before the marker.
 */
async function receivedThrough(
  filters: Record<string, unknown> | undefined,
  payloads: unknown[],
  marker: Record<string, unknown>,
): Promise<unknown[]> {
  const channel = uniqueChannel('filters');
  const subscriber = await connect('filter-sub');
  const publisher = await connect('filter-pub', 'operator');
  const sub = await subscriber.subscribe(channel, filters === undefined ? {} : { filters });
  expect(sub).toMatchObject({ type: 'subscribed', channel });
  await publishAll(publisher, channel, [...payloads, marker]);
  await waitForMarker(subscriber, channel, marker.marker as string);
  const data = deliveredData(subscriber, channel);
  expect(data.at(-1)).toEqual(marker);
  return data.slice(0, -1);
}

describe('connected frame', () => {
  it('is the first frame, with message, userId, role, connectionId and heartbeatMs', async () => {
    const a = await connect('welcome-a', 'agent');
    const b = await connect('welcome-b', 'admin');
    expect(a.frames[0]).toEqual({
      type: 'connected',
      message: 'Welcome to Nexus WebSocket',
      userId: 'welcome-a',
      role: 'agent',
      connectionId: expect.any(String),
      heartbeatMs: HEARTBEAT_MS,
    });
    expect(b.frames[0]).toMatchObject({
      type: 'connected',
      userId: 'welcome-b',
      role: 'admin',
      heartbeatMs: HEARTBEAT_MS,
    });
    expect((a.frames[0]!.connectionId as string).length).toBeGreaterThan(0);
    expect(a.frames[0]!.connectionId).not.toBe(b.frames[0]!.connectionId);
  });

  it('gives each connection of the same user its own connectionId', async () => {
    const one = await connect('same-user');
    const two = await connect('same-user');
    expect(one.frames[0]!.connectionId).not.toBe(two.frames[0]!.connectionId);
  });
});

describe('id echo', () => {
  for (const id of ['req-1', 42, 0]) {
    it(`echoes ${typeof id} id ${JSON.stringify(id)} in subscribed, unsubscribed, ack, pong, refreshed and error replies`, async () => {
      const client = await connect('id-user', 'operator');
      const channel = uniqueChannel('ids');
      expect(await client.request({ action: 'subscribe', channel, id })).toMatchObject({
        type: 'subscribed',
        id,
        channel,
      });
      expect(await client.request({ action: 'publish', channel, payload: { n: 1 }, id })).toMatchObject({
        type: 'ack',
        id,
        channel,
      });
      expect(await client.request({ action: 'unsubscribe', channel, id })).toMatchObject({
        type: 'unsubscribed',
        id,
        channel,
      });
      expect(await client.request({ action: 'ping', id })).toMatchObject({ type: 'pong', id });
      const newer = await signToken({ userId: 'id-user', role: 'operator', expiresInSeconds: 7200 });
      expect(await client.request({ action: 'refresh', token: newer, id })).toMatchObject({ type: 'refreshed', id });
      expect(await client.request({ action: 'dance', id })).toMatchObject({
        type: 'error',
        code: 'unknown_action',
        id,
      });
      expect(await client.request({ action: 'subscribe', channel: 'a b', id })).toMatchObject({
        type: 'error',
        code: 'invalid_message',
        id,
      });
      const viewer = await connect('id-viewer');
      expect(await viewer.request({ action: 'publish', channel, payload: 1, id })).toMatchObject({
        type: 'error',
        code: 'forbidden',
        id,
      });
    });
  }

  it('sends no id in a reply to a frame without one', async () => {
    const client = await connect('no-id');
    const before = client.frames.length;
    client.send({ action: 'ping' });
    const pong = await waitForFrame(client, (f) => f.type === 'pong', { from: before });
    expect(pong).not.toHaveProperty('id');
  });
});

describe('subscribe', () => {
  it('answers subscribed with channel, seq 0 on a fresh channel and the epoch', async () => {
    const client = await connect('sub-fresh');
    const channel = uniqueChannel('fresh');
    const reply = await client.subscribe(channel);
    expect(reply).toMatchObject({ type: 'subscribed', channel, seq: 0 });
    expect(typeof reply.epoch).toBe('string');
    expect((reply.epoch as string).length).toBeGreaterThan(0);
    expect(reply.filters ?? {}).toEqual({});
  });

  it("answers with the channel's latest seq and the epoch its messages carry, and echoes the filters", async () => {
    const channel = uniqueChannel('latest');
    const publisher = await connect('sub-pub', 'operator');
    await publisher.subscribe(channel);
    await publishAll(publisher, channel, [{ n: 1 }, { n: 2 }, { n: 3 }]);
    const message = await waitForFrame(publisher, (f) => f.type === 'message' && f.seq === 3);
    const late = await connect('sub-late');
    const reply = await late.subscribe(channel, { filters: { kind: ['a', 'b'], level: 2 } });
    expect(reply).toMatchObject({
      type: 'subscribed',
      channel,
      seq: 3,
      epoch: message.epoch,
      filters: { kind: ['a', 'b'], level: 2 },
    });
    expect(reply).not.toHaveProperty('recovered');
  });

  it('accepts a channel name of 128 characters and the full character set', async () => {
    const client = await connect('sub-names');
    for (const channel of ['x'.repeat(128), 'A-z_0.9:y', uniqueChannel('a')]) {
      expect(await client.subscribe(channel), channel).toMatchObject({ type: 'subscribed', channel });
    }
  });
});

describe('publish', () => {
  it('delivers a message frame (channel, from, data, ISO-8601 timestamp, seq, epoch) to every subscriber including the publisher', async () => {
    const channel = uniqueChannel('fanout');
    const s1 = await connect('fan-s1');
    const s2 = await connect('fan-s2');
    const publisher = await connect('fan-pub', 'agent');
    const bystander = await connect('fan-bystander');
    const subReply = await s1.subscribe(channel);
    await s2.subscribe(channel);
    await publisher.subscribe(channel);
    const payload = { agent_id: 'agent_001', cpu_usage: 45.2, nested: { list: [1, 'two', null, true] } };
    const before = Date.now();
    const ack = await publisher.publish(channel, payload);
    const after = Date.now();
    expect(ack).toEqual({ type: 'ack', id: expect.anything(), channel, seq: 1, epoch: subReply.epoch });
    for (const client of [s1, s2, publisher]) {
      const frame = await waitForFrame(client, (f) => f.type === 'message' && f.channel === channel);
      expect(frame).toEqual({
        type: 'message',
        channel,
        from: 'fan-pub',
        data: payload,
        timestamp: expect.any(String),
        seq: 1,
        epoch: subReply.epoch,
      });
      expect(frame.timestamp as string).toMatch(ISO_8601);
      const time = Date.parse(frame.timestamp as string);
      expect(time).toBeGreaterThanOrEqual(before - 1000);
      expect(time).toBeLessThanOrEqual(after + 1000);
    }
    // Each subscriber got it exactly once; a client that did not subscribe got nothing.
    for (const client of [s1, s2, publisher]) expect(deliveries(client, channel)).toHaveLength(1);
    await bystander.assertAlive();
    expect(deliveries(bystander, channel)).toEqual([]);
  });

  it('delivers any JSON payload unchanged (string, number, null, array, boolean, unicode)', async () => {
    const channel = uniqueChannel('payloads');
    const client = await connect('payload-user', 'operator');
    await client.subscribe(channel);
    const payloads = ['text', 0, -1.5, null, false, [1, [2, [3]]], { ключ: 'значение ✓', emoji: '🚀' }, ''];
    await publishAll(client, channel, payloads);
    await client.assertAlive();
    expect(deliveredData(client, channel)).toEqual(payloads);
  });

  it('sends an ack only when the publish frame had an id', async () => {
    const channel = uniqueChannel('noack');
    const client = await connect('noack-user', 'operator');
    await client.subscribe(channel);
    client.send({ action: 'publish', channel, payload: { marker: 'no-id' } });
    const message = await waitForMarker(client, channel, 'no-id');
    expect(message).toMatchObject({ type: 'message', from: 'noack-user', seq: 1 });
    // Frames of one connection are answered in order: a pong after it proves no ack is pending.
    await client.assertAlive();
    expect(client.ofType('ack')).toEqual([]);
    const ack = await client.publish(channel, { marker: 'with-id' });
    expect(ack).toMatchObject({ type: 'ack', channel, seq: 2 });
    expect(client.ofType('ack')).toHaveLength(1);
  });

  it('numbers messages with a seq strictly increasing per channel and independent between channels', async () => {
    const a = uniqueChannel('seq-a');
    const b = uniqueChannel('seq-b');
    const publisher = await connect('seq-pub', 'operator');
    const watcher = await connect('seq-watch');
    await watcher.subscribe(a);
    await watcher.subscribe(b);
    const acksA: number[] = [];
    const acksB: number[] = [];
    for (let i = 0; i < 5; i++) {
      acksA.push((await publisher.publish(a, { i })).seq as number);
      acksB.push((await publisher.publish(b, { i })).seq as number);
      if (i % 2 === 0) acksA.push((await publisher.publish(a, { i, extra: true })).seq as number);
    }
    expect(acksA).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(acksB).toEqual([1, 2, 3, 4, 5]);
    await waitForFrame(watcher, (f) => f.type === 'message' && f.channel === a && f.seq === 8);
    await waitForFrame(watcher, (f) => f.type === 'message' && f.channel === b && f.seq === 5);
    expect(deliveries(watcher, a).map((f) => f.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(deliveries(watcher, b).map((f) => f.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('keeps seq strictly increasing when several clients publish concurrently', async () => {
    const channel = uniqueChannel('seq-conc');
    const publishers = await Promise.all([
      connect('conc-1', 'agent'),
      connect('conc-2', 'agent'),
      connect('conc-3', 'agent'),
    ]);
    const watcher = await connect('conc-watch');
    await watcher.subscribe(channel);
    const acks = await Promise.all(
      publishers.flatMap((p, i) => Array.from({ length: 10 }, (_, j) => p.publish(channel, { p: i, j }))),
    );
    expect(acks.map((a) => a.seq).sort((x, y) => (x as number) - (y as number))).toEqual(
      Array.from({ length: 30 }, (_, i) => i + 1),
    );
    await waitForFrame(watcher, (f) => f.type === 'message' && f.seq === 30);
    expect(deliveries(watcher, channel).map((f) => f.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });
});

describe('unsubscribe', () => {
  it('answers unsubscribed {channel} and removes every subscription of the channel', async () => {
    const channel = uniqueChannel('unsub');
    const markers = uniqueChannel('unsub-marker');
    const client = await connect('unsub-user');
    const publisher = await connect('unsub-pub', 'operator');
    await client.subscribe(channel);
    await client.subscribe(channel, { filters: { k: 'a' } });
    await client.subscribe(channel, { filters: { level: 1 } });
    await client.subscribe(markers);
    await publishAll(publisher, channel, [{ k: 'a', level: 1, marker: 'before' }]);
    await waitForMarker(client, channel, 'before');

    const reply = await client.request({ action: 'unsubscribe', channel, id: 'u1' });
    expect(reply).toEqual({ type: 'unsubscribed', id: 'u1', channel });
    await publishAll(publisher, channel, [{ k: 'a', level: 1 }, { k: 'b' }, 'plain']);
    await publishAll(publisher, markers, [{ marker: 'after' }]);
    await waitForMarker(client, markers, 'after');
    expect(deliveries(client, channel).map((f) => f.data)).toEqual([{ k: 'a', level: 1, marker: 'before' }]);
  });

  it('can subscribe again after unsubscribing', async () => {
    const channel = uniqueChannel('resub');
    const client = await connect('resub-user', 'operator');
    await client.subscribe(channel);
    await client.request({ action: 'unsubscribe', channel });
    const again = await client.subscribe(channel);
    expect(again).toMatchObject({ type: 'subscribed', channel, seq: 0 });
    await client.publish(channel, { marker: 'again' });
    await waitForMarker(client, channel, 'again');
    expect(deliveries(client, channel)).toHaveLength(1);
  });

  it('unsubscribing one channel leaves the other channels alone', async () => {
    const keep = uniqueChannel('keep');
    const drop = uniqueChannel('drop');
    const client = await connect('unsub-two', 'operator');
    await client.subscribe(keep);
    await client.subscribe(drop);
    await client.request({ action: 'unsubscribe', channel: drop });
    await client.publish(drop, { x: 1 });
    await client.publish(keep, { marker: 'kept' });
    await waitForMarker(client, keep, 'kept');
    expect(deliveries(client, drop)).toEqual([]);
  });
});

describe('ping', () => {
  it('answers pong with a numeric timestamp close to Date.now()', async () => {
    const client = await connect('pinger');
    const before = Date.now();
    const pong = await client.request({ action: 'ping', id: 'p' });
    const after = Date.now();
    expect(pong).toEqual({ type: 'pong', id: 'p', timestamp: expect.any(Number) });
    expect(pong.timestamp as number).toBeGreaterThanOrEqual(before - 1000);
    expect(pong.timestamp as number).toBeLessThanOrEqual(after + 1000);
  });
});

describe('filters', () => {
  it('scalar value: only messages whose data[key] equals it', async () => {
    const got = await receivedThrough(
      { agent_id: 'a1' },
      [
        { agent_id: 'a2', n: 1 },
        { agent_id: 'a1', n: 2 },
        { n: 3 },
        { agent_id: 'a10', n: 4 },
        { agent_id: 'a1', n: 5 },
      ],
      { agent_id: 'a1', marker: 'm-scalar' },
    );
    expect(got).toEqual([
      { agent_id: 'a1', n: 2 },
      { agent_id: 'a1', n: 5 },
    ]);
  });

  it('array value: any of the listed values', async () => {
    const got = await receivedThrough(
      { agent_id: ['a1', 'a3'] },
      [
        { agent_id: 'a1', n: 1 },
        { agent_id: 'a2', n: 2 },
        { agent_id: 'a3', n: 3 },
        { agent_id: ['a1', 'a3'], n: 4 },
      ],
      { agent_id: 'a3', marker: 'm-array' },
    );
    expect(got).toEqual([
      { agent_id: 'a1', n: 1 },
      { agent_id: 'a3', n: 3 },
    ]);
  });

  it('several keys: every key must match (AND)', async () => {
    const got = await receivedThrough(
      { agent_id: 'a1', level: ['high', 'critical'], active: true },
      [
        { agent_id: 'a1', level: 'high', active: true, n: 1 },
        { agent_id: 'a1', level: 'low', active: true, n: 2 },
        { agent_id: 'a2', level: 'high', active: true, n: 3 },
        { agent_id: 'a1', level: 'critical', active: false, n: 4 },
        { agent_id: 'a1', level: 'critical', n: 5 },
        { agent_id: 'a1', level: 'critical', active: true, n: 6 },
      ],
      { agent_id: 'a1', level: 'high', active: true, marker: 'm-and' },
    );
    expect(got).toEqual([
      { agent_id: 'a1', level: 'high', active: true, n: 1 },
      { agent_id: 'a1', level: 'critical', active: true, n: 6 },
    ]);
  });

  it('strict JSON equality: "2" does not match 2, "true" does not match true, 1 does not match true', async () => {
    const got = await receivedThrough(
      { n: 2, flag: true, one: 1 },
      [
        { n: '2', flag: true, one: 1, i: 1 },
        { n: 2, flag: 'true', one: 1, i: 2 },
        { n: 2, flag: true, one: true, i: 3 },
        { n: 2, flag: 1, one: 1, i: 4 },
        { n: 2.0, flag: true, one: 1, i: 5 },
        { n: [2], flag: true, one: 1, i: 6 },
        { n: null, flag: true, one: 1, i: 7 },
      ],
      { n: 2, flag: true, one: 1, marker: 'm-strict' },
    );
    expect(got).toEqual([{ n: 2, flag: true, one: 1, i: 5 }]);
  });

  it('strict JSON equality inside "any of" arrays (0 is not false, false is a real value)', async () => {
    const got = await receivedThrough(
      { v: [2, 'x', false] },
      [
        { v: '2', i: 1 },
        { v: 2, i: 2 },
        { v: 0, i: 3 },
        { v: false, i: 4 },
        { v: 'false', i: 5 },
        { i: 6 },
        { v: null, i: 7 },
        { v: 'X', i: 8 },
      ],
      { v: 'x', marker: 'm-strict-array' },
    );
    expect(got).toEqual([
      { v: 2, i: 2 },
      { v: false, i: 4 },
    ]);
  });

  it('a payload that is not an object matches no filter key', async () => {
    const got = await receivedThrough(
      { agent_id: 'a1' },
      ['a1', 'agent_id', 1, true, null, ['a1'], [{ agent_id: 'a1' }], { agent_id: 'a1', n: 1 }],
      { agent_id: 'a1', marker: 'm-nonobject' },
    );
    expect(got).toEqual([{ agent_id: 'a1', n: 1 }]);
  });

  it('no filters (or an empty filters object) receive every message of the channel, objects or not', async () => {
    const payloads = ['a1', 7, null, false, [1, 2], { agent_id: 'a2' }, {}];
    expect(await receivedThrough(undefined, payloads, { marker: 'm-none' })).toEqual(payloads);
    expect(await receivedThrough({}, payloads, { marker: 'm-empty' })).toEqual(payloads);
  });

  it('two subscriptions on one channel with overlapping filters: each message exactly once', async () => {
    const channel = uniqueChannel('overlap');
    const client = await connect('overlap-sub');
    const publisher = await connect('overlap-pub', 'operator');
    await client.subscribe(channel, { filters: { agent_id: 'a1' } });
    await client.subscribe(channel, { filters: { level: 'high' } });
    await client.subscribe(channel, { filters: { level: 'high' } }); // the same filters again
    await client.subscribe(channel, { filters: { agent_id: ['a1', 'a2'], level: 'high' } });
    await publishAll(publisher, channel, [
      { agent_id: 'a1', level: 'high', n: 1 },
      { agent_id: 'a1', level: 'low', n: 2 },
      { agent_id: 'a2', level: 'high', n: 3 },
      { agent_id: 'a2', level: 'low', n: 4 },
      { agent_id: 'a1', level: 'high', marker: 'm-overlap' },
    ]);
    await waitForMarker(client, channel, 'm-overlap');
    expect(deliveries(client, channel).map((f) => f.seq)).toEqual([1, 2, 3, 5]);
  });

  it('a client subscribed without filters and with filters on one channel receives each message once', async () => {
    const channel = uniqueChannel('overlap-all');
    const client = await connect('overlap-all', 'operator');
    await client.subscribe(channel, { filters: { agent_id: 'a1' } });
    await client.subscribe(channel);
    await publishAll(client, channel, [{ agent_id: 'a1' }, { agent_id: 'a2' }, 'x', { marker: 'm-all' }]);
    await waitForMarker(client, channel, 'm-all');
    expect(deliveries(client, channel).map((f) => f.seq)).toEqual([1, 2, 3, 4]);
  });

  it('accepts 16 filter keys', async () => {
    const filters = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, i]));
    const got = await receivedThrough(
      filters,
      [
        { ...filters, k15: 0 },
        { ...filters, n: 1 },
      ],
      { ...filters, marker: 'm-16' },
    );
    expect(got).toEqual([{ ...filters, n: 1 }]);
  });
});

describe('history replay (since / epoch)', () => {
  it('replays every kept message with seq > since in order after subscribed {recovered:true}, then live ones, without duplicates', async () => {
    const channel = uniqueChannel('replay');
    const publisher = await connect('replay-pub', 'operator');
    const watcher = await connect('replay-watch');
    await watcher.subscribe(channel);
    await publishAll(
      publisher,
      channel,
      Array.from({ length: 6 }, (_, i) => ({ i: i + 1 })),
    );
    await waitForFrame(watcher, (f) => f.type === 'message' && f.seq === 6);
    const epoch = deliveries(watcher, channel)[0]!.epoch;

    const client = await connect('replay-sub');
    const start = client.frames.length;
    const reply = await client.request({ action: 'subscribe', channel, since: 2, epoch, id: 'rs' });
    expect(reply).toEqual({ type: 'subscribed', id: 'rs', channel, seq: 6, epoch, recovered: true });
    await publishAll(publisher, channel, [{ i: 7 }, { i: 8 }]);
    await waitForFrame(client, (f) => f.type === 'message' && f.seq === 8);
    await client.assertAlive();

    const after = client.frames.slice(start).filter((f) => f.type !== 'pong');
    expect(after.map((f) => (f.type === 'subscribed' ? 'subscribed' : f.seq))).toEqual([
      'subscribed',
      3,
      4,
      5,
      6,
      7,
      8,
    ]);
    // Replayed frames are the original messages: same from, data, timestamp, seq, epoch.
    await waitForFrame(watcher, (f) => f.type === 'message' && f.seq === 8);
    const original = new Map(deliveries(watcher, channel).map((f) => [f.seq, f]));
    for (const frame of deliveries(client, channel)) expect(frame).toEqual(original.get(frame.seq));
  });

  it('replays and switches to live delivery with no gap and no duplicate while messages keep arriving', async () => {
    const channel = uniqueChannel('replay-race');
    const publisher = await connect('race-pub', 'operator');
    await publishAll(
      publisher,
      channel,
      Array.from({ length: 20 }, (_, i) => ({ i })),
    );
    const epoch = (await publisher.subscribe(channel)).epoch;
    const client = await connect('race-sub');
    // Publish 30 more without waiting while the subscribe with since is being answered.
    for (let i = 0; i < 30; i++) publisher.send({ action: 'publish', channel, payload: { live: i } });
    client.send({ action: 'subscribe', channel, since: 10, epoch });
    const last = await publisher.publish(channel, { marker: 'race-end' });
    expect(last.seq).toBe(51);
    await waitForMarker(client, channel, 'race-end');
    const subscribed = client.ofType('subscribed')[0]!;
    expect(subscribed).toMatchObject({ recovered: true });
    const seqs = deliveries(client, channel).map((f) => f.seq);
    expect(seqs).toEqual(Array.from({ length: 41 }, (_, i) => i + 11));
    // subscribed came before every delivery of the channel
    expect(client.frames.indexOf(subscribed)).toBeLessThan(client.frames.indexOf(deliveries(client, channel)[0]!));
  });

  it('the subscribed seq is the natural since: resubscribing with it and the epoch recovers exactly what was missed', async () => {
    const channel = uniqueChannel('natural-since');
    const publisher = await connect('ns-pub', 'operator');
    await publishAll(publisher, channel, [{ n: 1 }, { n: 2 }]);
    const first = await connect('ns-sub');
    const reply = await first.subscribe(channel);
    expect(reply).toMatchObject({ seq: 2 });
    await publishAll(publisher, channel, [{ n: 3 }]);
    await waitForFrame(first, (f) => f.type === 'message' && f.seq === 3);
    const lastSeen = deliveries(first, channel).at(-1)!;
    await first.close();
    await publishAll(publisher, channel, [{ n: 4 }, { n: 5 }]);
    const second = await connect('ns-sub');
    const again = await second.subscribe(channel, { since: lastSeen.seq, epoch: lastSeen.epoch });
    expect(again).toMatchObject({ recovered: true, seq: 5, epoch: reply.epoch });
    await publishAll(publisher, channel, [{ marker: 'ns-live' }]);
    await waitForMarker(second, channel, 'ns-live');
    expect(deliveredData(second, channel)).toEqual([{ n: 4 }, { n: 5 }, { marker: 'ns-live' }]);
  });

  it('replay honours the subscription filters', async () => {
    const channel = uniqueChannel('replay-filter');
    const publisher = await connect('rf-pub', 'operator');
    const epoch = (await publisher.subscribe(channel)).epoch;
    await publishAll(publisher, channel, [
      { agent_id: 'a1', n: 1 },
      { agent_id: 'a2', n: 2 },
      'a1',
      { agent_id: 'a1', n: 4 },
      { agent_id: ['a1'], n: 5 },
      { agent_id: 'a1', n: 6 },
    ]);
    const client = await connect('rf-sub');
    const reply = await client.subscribe(channel, { since: 1, epoch, filters: { agent_id: 'a1' } });
    expect(reply).toMatchObject({ type: 'subscribed', recovered: true, seq: 6, filters: { agent_id: 'a1' } });
    await publishAll(publisher, channel, [
      { agent_id: 'a2', n: 7 },
      { agent_id: 'a1', marker: 'rf-live' },
    ]);
    await waitForMarker(client, channel, 'rf-live');
    expect(deliveries(client, channel).map((f) => f.seq)).toEqual([4, 6, 8]);
  });

  it('a wrong epoch answers recovered:false and replays nothing', async () => {
    const channel = uniqueChannel('replay-epoch');
    const publisher = await connect('re-pub', 'operator');
    const epoch = (await publisher.subscribe(channel)).epoch as string;
    await publishAll(publisher, channel, [{ n: 1 }, { n: 2 }, { n: 3 }]);
    const client = await connect('re-sub');
    const reply = await client.subscribe(channel, { since: 1, epoch: `${epoch}-old` });
    expect(reply).toMatchObject({ type: 'subscribed', channel, recovered: false, seq: 3, epoch });
    await publishAll(publisher, channel, [{ marker: 're-live' }]);
    await waitForMarker(client, channel, 're-live');
    expect(deliveries(client, channel).map((f) => f.seq)).toEqual([4]);
  });

  it('since equal to the latest seq answers recovered:true and replays nothing', async () => {
    const channel = uniqueChannel('replay-latest');
    const publisher = await connect('rl-pub', 'operator');
    const epoch = (await publisher.subscribe(channel)).epoch;
    await publishAll(publisher, channel, [{ n: 1 }, { n: 2 }, { n: 3 }]);
    const client = await connect('rl-sub');
    const reply = await client.subscribe(channel, { since: 3, epoch });
    expect(reply).toMatchObject({ type: 'subscribed', recovered: true, seq: 3 });
    await publishAll(publisher, channel, [{ marker: 'rl-live' }]);
    await waitForMarker(client, channel, 'rl-live');
    expect(deliveries(client, channel).map((f) => f.seq)).toEqual([4]);
  });

  it('since 0 on a channel with messages replays them all', async () => {
    const channel = uniqueChannel('replay-zero');
    const publisher = await connect('rz-pub', 'operator');
    const epoch = (await publisher.subscribe(channel)).epoch;
    await publishAll(publisher, channel, [{ n: 1 }, { n: 2 }]);
    const client = await connect('rz-sub');
    expect(await client.subscribe(channel, { since: 0, epoch })).toMatchObject({ recovered: true, seq: 2 });
    await publishAll(publisher, channel, [{ marker: 'rz-live' }]);
    await waitForMarker(client, channel, 'rz-live');
    expect(deliveries(client, channel).map((f) => f.seq)).toEqual([1, 2, 3]);
  });

  it('a second subscription with since on a channel still replays the kept messages the client never received', async () => {
    const channel = uniqueChannel('replay-second');
    const publisher = await connect('rs2-pub', 'operator');
    const epoch = (await publisher.subscribe(channel)).epoch;
    await publishAll(publisher, channel, [
      { k: 'x', n: 1 },
      { k: 'y', n: 2 },
      { k: 'x', n: 3 },
    ]);
    const client = await connect('rs2-sub');
    // A first, live-only subscription: it starts at seq 3 and delivers nothing of 1..3.
    expect(await client.subscribe(channel)).toMatchObject({ seq: 3 });
    // A second one asks for the history since 0, with a filter.
    expect(await client.subscribe(channel, { since: 0, epoch, filters: { k: 'x' } })).toMatchObject({
      recovered: true,
      seq: 3,
    });
    await publishAll(publisher, channel, [{ k: 'x', marker: 'rs2-live' }]);
    await waitForMarker(client, channel, 'rs2-live');
    // "when since was given, every kept message with seq > since in order" (filtered).
    expect(deliveries(client, channel).map((f) => f.seq)).toEqual([1, 3, 4]);
  });

  describe('with NEXUS_HISTORY_SIZE=5', () => {
    let small: TestServer;
    let channel: string;
    let epoch: string;
    beforeAll(async () => {
      small = await startServer({ env: { NEXUS_HISTORY_SIZE: '5' } });
      channel = uniqueChannel('trimmed');
      const publisher = await pool.connect(small.wsUrl, await tokenFor('trim-pub', 'operator'));
      epoch = (await publisher.subscribe(channel)).epoch as string;
      await publishAll(
        publisher,
        channel,
        Array.from({ length: 10 }, (_, i) => ({ n: i + 1 })),
      );
      await publisher.close();
    });
    afterAll(() => small.close());

    const publishLive = async (marker: string) => {
      const publisher = await pool.connect(small.wsUrl, await tokenFor('trim-live', 'operator'));
      return publisher.publish(channel, { marker });
    };

    it('since older than the kept history (since 1 of 10, 5 kept) answers recovered:false and replays nothing', async () => {
      const client = await pool.connect(small.wsUrl, await tokenFor('trim-sub'));
      const reply = await client.subscribe(channel, { since: 1, epoch });
      expect(reply).toMatchObject({ type: 'subscribed', channel, recovered: false, seq: 10, epoch });
      const ack = await publishLive('trim-live-1');
      await waitForMarker(client, channel, 'trim-live-1');
      expect(deliveries(client, channel).map((f) => f.seq)).toEqual([ack.seq]);
    });

    it('since 4 (message 5 is no longer kept) answers recovered:false', async () => {
      const client = await pool.connect(small.wsUrl, await tokenFor('trim-sub-4'));
      expect(await client.subscribe(channel, { since: 4, epoch })).toMatchObject({ recovered: false });
      await client.assertAlive();
      expect(deliveries(client, channel)).toEqual([]);
    });

    it('since just before the oldest kept message replays the whole kept history', async () => {
      const probe = await pool.connect(small.wsUrl, await tokenFor('trim-sub-edge'));
      const latest = (await probe.subscribe(channel)).seq as number;
      expect(latest).toBeGreaterThanOrEqual(10);
      const fresh = await pool.connect(small.wsUrl, await tokenFor('trim-sub-edge2'));
      const full = await fresh.subscribe(channel, { since: latest - 5, epoch });
      expect(full).toMatchObject({ recovered: true, seq: latest });
      await fresh.assertAlive();
      expect(deliveries(fresh, channel).map((f) => f.seq)).toEqual([
        latest - 4,
        latest - 3,
        latest - 2,
        latest - 1,
        latest,
      ]);
    });
  });
});

describe('error codes (the connection stays open)', () => {
  const cases: [name: string, frame: unknown, code: string][] = [
    ['text that is not JSON', 'not json', 'invalid_json'],
    ['truncated JSON', '{"action":"ping"', 'invalid_json'],
    ['an empty text frame', '', 'invalid_json'],
    ['a JSON array', '[]', 'invalid_message'],
    ['a JSON number', '42', 'invalid_message'],
    ['JSON null', 'null', 'invalid_message'],
    ['an object without action', { id: 'e' }, 'invalid_message'],
    ['subscribe without channel', { action: 'subscribe', id: 'e' }, 'invalid_message'],
    ['subscribe to "a b"', { action: 'subscribe', channel: 'a b', id: 'e' }, 'invalid_message'],
    [
      'subscribe to a 129-character channel',
      { action: 'subscribe', channel: 'x'.repeat(129), id: 'e' },
      'invalid_message',
    ],
    ['subscribe to an empty channel', { action: 'subscribe', channel: '', id: 'e' }, 'invalid_message'],
    ['subscribe to a numeric channel', { action: 'subscribe', channel: 42, id: 'e' }, 'invalid_message'],
    ['subscribe to "chat/room"', { action: 'subscribe', channel: 'chat/room', id: 'e' }, 'invalid_message'],
    [
      'filters with 17 keys',
      {
        action: 'subscribe',
        channel: 'ok',
        id: 'e',
        filters: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, i])),
      },
      'invalid_message',
    ],
    [
      'a nested object filter value',
      { action: 'subscribe', channel: 'ok', id: 'e', filters: { a: { b: 1 } } },
      'invalid_message',
    ],
    [
      'an array of objects as filter value',
      { action: 'subscribe', channel: 'ok', id: 'e', filters: { a: [{ b: 1 }] } },
      'invalid_message',
    ],
    ['a null filter value', { action: 'subscribe', channel: 'ok', id: 'e', filters: { a: null } }, 'invalid_message'],
    ['filters given as an array', { action: 'subscribe', channel: 'ok', id: 'e', filters: ['a'] }, 'invalid_message'],
    ['filters given as a string', { action: 'subscribe', channel: 'ok', id: 'e', filters: 'a=1' }, 'invalid_message'],
    ['a negative since', { action: 'subscribe', channel: 'ok', id: 'e', since: -1 }, 'invalid_message'],
    ['a fractional since', { action: 'subscribe', channel: 'ok', id: 'e', since: 1.5 }, 'invalid_message'],
    ['a string since', { action: 'subscribe', channel: 'ok', id: 'e', since: '3' }, 'invalid_message'],
    ['unsubscribe without channel', { action: 'unsubscribe', id: 'e' }, 'invalid_message'],
    ['publish without channel', { action: 'publish', payload: 1, id: 'e' }, 'invalid_message'],
    ['publish to a bad channel', { action: 'publish', channel: 'a b', payload: 1, id: 'e' }, 'invalid_message'],
    ['publish without payload', { action: 'publish', channel: 'ok', id: 'e' }, 'invalid_message'],
    ['refresh without token', { action: 'refresh', id: 'e' }, 'invalid_message'],
    ['an unknown action', { action: 'dance', id: 'e' }, 'unknown_action'],
    ['a misspelt action', { action: 'publsh', channel: 'ok', payload: 1, id: 'e' }, 'unknown_action'],
  ];

  for (const [name, frame, code] of cases) {
    it(`${name} → error ${code}`, async () => {
      const client = await connect('errors', 'operator');
      const before = client.frames.length;
      client.send(frame);
      const error = await waitForFrame(client, (f) => f.type === 'error', { from: before });
      expect(error).toMatchObject({ type: 'error', code, message: expect.any(String) });
      if (typeof frame === 'object' && frame !== null && 'id' in frame) expect(error.id).toBe('e');
      await client.assertAlive();
      // Exactly one reply to the bad frame, and it did not subscribe or publish anything.
      const replies = client.frames.slice(before).filter((f) => f.type !== 'pong');
      expect(replies).toEqual([error]);
    });
  }

  it('a bad filter does not create a subscription', async () => {
    const channel = uniqueChannel('badfilter');
    const client = await connect('badfilter', 'operator');
    const reply = await client.request({ action: 'subscribe', channel, filters: { a: { b: 1 } } });
    expect(reply).toMatchObject({ type: 'error', code: 'invalid_message' });
    await client.publish(channel, { a: { b: 1 } });
    await client.assertAlive();
    expect(deliveries(client, channel)).toEqual([]);
  });

  it('after a burst of bad frames the connection still subscribes and publishes normally', async () => {
    const channel = uniqueChannel('after-errors');
    const client = await connect('after-errors', 'operator');
    for (const [, frame] of cases) client.send(frame);
    await client.subscribe(channel);
    await client.publish(channel, { marker: 'still-works' });
    await waitForMarker(client, channel, 'still-works');
    expect(client.ofType('error')).toHaveLength(cases.length);
  });
});

describe('error ids and codes of requests the server refuses after parsing', () => {
  it('a frame nested too deeply, or binary, still gets its id back; one that is not JSON gets none', async () => {
    const client = await connect('refused-ids', 'operator');
    const deep = `{"action":"publish","id":"deep","channel":"x","payload":${'['.repeat(100)}${']'.repeat(100)}}`;
    const before = client.frames.length;
    client.send(deep);
    client.socket.send(Buffer.from('{"action":"ping","id":"binary"}'), { binary: true });
    client.send('{"action":"ping","id":"truncated"');
    await client.assertAlive();
    const errors = client.frames.slice(before).filter((f) => f.type === 'error');
    expect(errors).toEqual([
      expect.objectContaining({ code: 'invalid_message', id: 'deep' }),
      expect.objectContaining({ code: 'binary_not_supported', id: 'binary' }),
      expect.objectContaining({ code: 'invalid_json' }),
    ]);
    expect(errors[2]).not.toHaveProperty('id');
  });
});

/** A memory broker that refuses every publish on channels starting with `down.`. */
function refusingBroker(inner: MemoryBroker): Broker {
  return {
    kind: inner.kind,
    processId: inner.processId,
    publish: async (request) => {
      if (request.channel.startsWith('down.')) throw new BrokerUnavailableError('Redis refused the write');
      return inner.publish(request);
    },
    onMessage: (listener) => inner.onMessage(listener),
    watch: (channel) => inner.watch(channel),
    unwatch: (channel) => inner.unwatch(channel),
    listening: (channel) => inner.listening(channel),
    position: (channel) => inner.position(channel),
    channelHistory: (channel) => inner.channelHistory(channel),
    replay: (channel, since, epoch) => inner.replay(channel, since, epoch),
    health: () => inner.health(),
    close: () => inner.close(),
  };
}

describe('a publish the broker cannot take → error unavailable', () => {
  let refusing: TestServer;
  beforeAll(async () => {
    refusing = await startServer({ deps: { broker: refusingBroker(new MemoryBroker({ historySize: 10 })) } });
  });
  afterAll(() => refusing.close());

  it('answers unavailable with the id, delivers nothing, and the connection keeps working', async () => {
    const subscriber = await pool.connect(refusing.wsUrl, await tokenFor('down-sub'));
    const publisher = await pool.connect(refusing.wsUrl, await tokenFor('down-pub', 'operator'));
    await subscriber.subscribe('down.x');
    const reply = await publisher.request({ action: 'publish', channel: 'down.x', id: 'p-1', payload: { n: 1 } });
    expect(reply).toMatchObject({ type: 'error', code: 'unavailable', id: 'p-1', message: expect.any(String) });
    // Without an id there is still an answer: an unsettled publish would leave the client guessing.
    const before = publisher.frames.length;
    publisher.send({ action: 'publish', channel: 'down.x', payload: { n: 2 } });
    await publisher.assertAlive();
    expect(publisher.frames.slice(before).filter((f) => f.type === 'error')).toEqual([
      expect.objectContaining({ code: 'unavailable' }),
    ]);
    expect(await publisher.publish('up.x', { n: 3 })).toMatchObject({ type: 'ack', seq: 1 });
    await subscriber.assertAlive();
    expect(deliveries(subscriber, 'down.x')).toEqual([]);
  });
});
