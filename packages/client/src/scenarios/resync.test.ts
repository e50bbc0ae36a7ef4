/**
 * Subscriptions across reconnects: remembered with their filters, re-sent once each after the
 * welcome with the since/epoch of the last message seen, replays held until the sync ping's pong
 * and released per channel in seq order — no loss, no duplicate, a gap when history was lost.
 */
import { describe, expect, it } from 'vitest';
import { CloseCode } from '../protocol/index.js';
import type { ClientEvents } from '../events.js';
import {
  advance,
  delivery,
  flush,
  harness,
  lastSocket,
  nextSocket,
  openClient,
  subscribedReply,
  useClientScenarios,
} from '../testing/client-harness.js';

useClientScenarios();

describe('subscriptions and recovery', () => {
  it('after a reconnect: exactly one subscribe frame per subscription, with its filters and since/epoch of the last message seen', async () => {
    const { client, log } = harness();
    const first = await openClient(client);
    const alpha = client.subscribe('alpha', { agent_id: 'a1' });
    const beta = client.subscribe('beta');
    const [subAlpha, subBeta] = first.actions('subscribe');
    expect(first.actions('subscribe')).toHaveLength(2);
    expect(subAlpha).toEqual({
      action: 'subscribe',
      id: expect.anything(),
      channel: 'alpha',
      filters: { agent_id: 'a1' },
    });
    expect(subBeta).toEqual({ action: 'subscribe', id: expect.anything(), channel: 'beta' });
    first.deliver(subscribedReply(subAlpha!, 4, 'E1'));
    first.deliver(subscribedReply(subBeta!, 0, 'E1'));
    await expect(alpha).resolves.toEqual({ ok: true, seq: 4, epoch: 'E1' });
    await expect(beta).resolves.toEqual({ ok: true, seq: 0, epoch: 'E1' });
    first.deliver(delivery('alpha', 5, 'E1'));
    first.deliver(delivery('alpha', 6, 'E1'));

    first.serverClose(1012);
    const second = await nextSocket(log);
    expect(second.sent).toEqual([]); // nothing before the welcome
    second.welcome();
    const resent = second.actions('subscribe');
    expect(resent).toHaveLength(2);
    expect(resent[0]).toEqual({
      action: 'subscribe',
      id: expect.anything(),
      channel: 'alpha',
      filters: { agent_id: 'a1' },
      since: 6,
      epoch: 'E1',
    });
    expect(resent[1]).toEqual({ action: 'subscribe', id: expect.anything(), channel: 'beta', since: 0, epoch: 'E1' });
    second.deliver(subscribedReply(resent[0]!, 7, 'E1', true));
    second.deliver(delivery('alpha', 7, 'E1'));
    second.deliver(subscribedReply(resent[1]!, 0, 'E1', true));
    second.answerSync();
    expect(log.gap).toEqual([]);

    second.serverClose(1006);
    const third = await nextSocket(log);
    third.welcome();
    expect(third.actions('subscribe').map((f) => [f.channel, f.since, f.epoch])).toEqual([
      ['alpha', 7, 'E1'],
      ['beta', 0, 'E1'],
    ]);
    expect(third.frames.filter((f) => f.action !== 'subscribe')).toEqual([]);
  });

  it('subscribe and unsubscribe while offline are never queued: one subscribe per remembered subscription on open, no unsubscribe', async () => {
    const { client, log } = harness();
    void client.subscribe('alpha');
    const aAgain = client.subscribe('alpha');
    void client.subscribe('beta');
    client.unsubscribe('beta');
    const c = client.subscribe('gamma', { k: 'v', list: [1, 2] });
    void client.subscribe('gamma', { list: [2, 1], k: 'v' }); // the same subscription
    client.unsubscribe('nothing-here');
    await expect(aAgain).resolves.toMatchObject({ ok: true });
    const first = await openClient(client);
    expect(first.frames.map((f) => [f.action, f.channel, f.filters])).toEqual([
      ['subscribe', 'alpha', undefined],
      ['subscribe', 'gamma', { k: 'v', list: [1, 2] }],
    ]);
    const [subA, subC] = first.sent;
    first.deliver(subscribedReply(subA!, 3, 'E1'));
    first.deliver(subscribedReply(subC!, 9, 'E1'));
    await expect(c).resolves.toEqual({ ok: true, seq: 9, epoch: 'E1' });

    // The same while reconnecting.
    first.serverClose(1006);
    void client.subscribe('delta');
    client.unsubscribe('alpha');
    void client.subscribe('delta');
    const second = await nextSocket(log);
    second.welcome();
    expect(second.frames.map((f) => [f.action, f.channel])).toEqual([
      ['subscribe', 'gamma'],
      ['subscribe', 'delta'],
    ]);
    expect(client.subscriptions.map((s) => s.channel)).toEqual(['gamma', 'delta']);
  });

  it("a duplicate subscribe() leaves the first call's promise to the server's answer", async () => {
    const { client } = harness();
    const firstCall = client.subscribe('alpha');
    const duplicate = client.subscribe('alpha');
    await expect(duplicate).resolves.toMatchObject({ ok: true });
    const socket = await openClient(client);
    expect(socket.actions('subscribe')).toHaveLength(1);
    socket.deliver(subscribedReply(socket.actions('subscribe')[0]!, 3, 'E1'));
    // subscribe() "resolves with the server's first answer": seq 3 of epoch E1, not a made-up one.
    await expect(firstCall).resolves.toEqual({ ok: true, seq: 3, epoch: 'E1' });
  });

  it('subscribe while connecting (socket created, not welcomed) is sent once, after the welcome', async () => {
    const { client } = harness();
    client.connect();
    await flush();
    const socket = lastSocket();
    socket.open();
    void client.subscribe('alpha');
    expect(socket.sent).toEqual([]);
    socket.deliver({ type: 'connected', message: 'x', userId: 'u', role: 'viewer', connectionId: 'c', heartbeatMs: 1 });
    expect(socket.actions('subscribe')).toHaveLength(1);
  });

  it('unsubscribe while open sends one frame and forgets the channel for reconnects', async () => {
    const { client, log } = harness();
    const first = await openClient(client);
    void client.subscribe('alpha');
    client.unsubscribe('alpha');
    expect(first.actions('unsubscribe')).toEqual([{ action: 'unsubscribe', channel: 'alpha', id: expect.anything() }]);
    first.serverClose(1006);
    const second = await nextSocket(log);
    second.welcome();
    expect(second.sent).toEqual([]);
  });

  it('a channel listener gets (data, frame); the same seq is never delivered twice', async () => {
    const { client, log } = harness();
    const socket = await openClient(client);
    void client.subscribe('alpha');
    socket.deliver(subscribedReply(socket.sent[0]!, 0, 'E1'));
    const calls: [unknown, unknown][] = [];
    client.on('alpha', (data, frame) => calls.push([data, frame]));
    for (const seq of [1, 2, 2, 1, 3, 3]) socket.deliver(delivery('alpha', seq, 'E1', { n: seq }));
    expect(calls.map(([data]) => data)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(calls[0]![1]).toEqual({
      type: 'message',
      channel: 'alpha',
      from: 'someone',
      data: { n: 1 },
      timestamp: expect.any(String),
      seq: 1,
      epoch: 'E1',
    });
    expect(log.message.map((m) => m.frame.seq)).toEqual([1, 2, 3]);
    // Broadcasts count too.
    socket.deliver({
      type: 'broadcast',
      channel: 'alpha',
      data: { n: 4 },
      timestamp: new Date().toISOString(),
      seq: 4,
      epoch: 'E1',
    });
    socket.deliver({
      type: 'broadcast',
      channel: 'alpha',
      data: { n: 4 },
      timestamp: new Date().toISOString(),
      seq: 4,
      epoch: 'E1',
    });
    expect(calls.map(([data]) => data)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }]);
  });

  it('a replay that overlaps what was already seen is delivered without duplicates', async () => {
    const { client, log } = harness();
    const first = await openClient(client);
    void client.subscribe('alpha');
    first.deliver(subscribedReply(first.sent[0]!, 0, 'E1'));
    const seen: number[] = [];
    client.on('alpha', (_data, frame) => seen.push(frame.seq));
    for (const seq of [1, 2, 3]) first.deliver(delivery('alpha', seq, 'E1'));
    first.serverClose(1006);
    const second = await nextSocket(log);
    second.welcome();
    const resubscribe = second.actions('subscribe')[0]!;
    expect(resubscribe).toMatchObject({ since: 3, epoch: 'E1' });
    second.deliver(subscribedReply(resubscribe, 6, 'E1', true));
    for (const seq of [2, 3, 4, 5, 6, 5, 6]) second.deliver(delivery('alpha', seq, 'E1'));
    second.answerSync();
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('recovered:false raises a gap naming the channel, and the new epoch is followed from its seq', async () => {
    const { client, log } = harness();
    const first = await openClient(client);
    void client.subscribe('alpha');
    first.deliver(subscribedReply(first.sent[0]!, 0, 'E1'));
    for (const seq of [1, 2, 3, 4, 5, 6]) first.deliver(delivery('alpha', seq, 'E1'));
    expect(log.gap).toEqual([]);
    const seen: string[] = [];
    client.on('alpha', (_data, frame) => seen.push(`${frame.epoch}:${frame.seq}`));
    first.serverClose(1012);
    const second = await nextSocket(log);
    second.welcome();
    const resubscribe = second.actions('subscribe')[0]!;
    expect(resubscribe).toMatchObject({ since: 6, epoch: 'E1' });
    second.deliver(subscribedReply(resubscribe, 2, 'E2', false));
    expect(log.gap).toEqual([{ channel: 'alpha', since: 6, seq: 2, epoch: 'E2' }]);
    second.deliver(delivery('alpha', 3, 'E2'));
    second.deliver(delivery('alpha', 4, 'E2'));
    second.answerSync();
    expect(seen).toEqual(['E2:3', 'E2:4']);
    second.serverClose(1006);
    const third = await nextSocket(log);
    third.welcome();
    expect(third.actions('subscribe')[0]).toMatchObject({ since: 4, epoch: 'E2' });
  });

  it('two filtered subscriptions on one channel: every message replayed after a reconnect reaches the listener once', async () => {
    // The server answers each resubscribe with its own replay (src/server/connection/session.ts): first the
    // a1 messages missed (3, 5), then the a2 ones not already sent (4, 6).
    const { client, log } = harness();
    const first = await openClient(client);
    void client.subscribe('t', { agent_id: 'a1' });
    void client.subscribe('t', { agent_id: 'a2' });
    const [s1, s2] = first.actions('subscribe');
    first.deliver(subscribedReply(s1!, 0, 'E1'));
    first.deliver(subscribedReply(s2!, 0, 'E1'));
    const seen: number[] = [];
    client.on('t', (_data, frame) => seen.push(frame.seq));
    first.deliver(delivery('t', 1, 'E1', { agent_id: 'a1' }));
    first.deliver(delivery('t', 2, 'E1', { agent_id: 'a2' }));
    first.serverClose(1006);
    const second = await nextSocket(log);
    second.welcome();
    const [r1, r2] = second.actions('subscribe');
    expect(r1).toMatchObject({ filters: { agent_id: 'a1' }, since: 2, epoch: 'E1' });
    expect(r2).toMatchObject({ filters: { agent_id: 'a2' }, since: 2, epoch: 'E1' });
    second.deliver(subscribedReply(r1!, 6, 'E1', true));
    second.deliver(delivery('t', 3, 'E1', { agent_id: 'a1' }));
    second.deliver(delivery('t', 5, 'E1', { agent_id: 'a1' }));
    second.deliver(subscribedReply(r2!, 6, 'E1', true));
    second.deliver(delivery('t', 4, 'E1', { agent_id: 'a2' }));
    second.deliver(delivery('t', 6, 'E1', { agent_id: 'a2' }));
    second.answerSync();
    // Released in seq order once every replay is in.
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('replays of several channels interleaved in the hold: each channel released in seq order, each message once, none lost', async () => {
    const { client, log } = harness();
    const first = await openClient(client);
    for (const [channel, filters] of [
      ['a', { k: 1 }],
      ['b', undefined],
      ['a', { k: 2 }],
      ['c', undefined],
    ] as const) {
      void client.subscribe(channel, filters);
    }
    first.actions('subscribe').forEach((request) => first.deliver(subscribedReply(request, 0, 'E1')));
    const seen: Record<string, number[]> = { a: [], b: [], c: [] };
    for (const channel of ['a', 'b', 'c']) client.on(channel, (_data, frame) => seen[channel]!.push(frame.seq));
    first.serverClose(1006);
    const second = await nextSocket(log);
    second.welcome();
    for (const request of second.actions('subscribe')) second.deliver(subscribedReply(request, 9, 'E1', true));
    const held: [string, number][] = [
      ['a', 3],
      ['b', 1],
      ['a', 2],
      ['c', 5],
      ['b', 2],
      ['a', 1],
      ['a', 3],
      ['c', 4],
      ['b', 1],
      ['a', 6],
      ['b', 4],
      ['a', 4],
      ['c', 6],
      ['b', 3],
      ['a', 5],
      ['c', 5],
      ['a', 6],
    ];
    for (const [channel, seq] of held) second.deliver(delivery(channel, seq, 'E1'));
    expect(seen).toEqual({ a: [], b: [], c: [] });
    second.answerSync();
    expect(seen).toEqual({ a: [1, 2, 3, 4, 5, 6], b: [1, 2, 3, 4], c: [4, 5, 6] });
    // Released, so no longer held: live messages go straight through, duplicates still dropped.
    second.deliver(delivery('b', 4, 'E1'));
    second.deliver(delivery('b', 5, 'E1'));
    expect(seen.b).toEqual([1, 2, 3, 4, 5]);
    expect(log.gap).toEqual([]);
  });

  it('a channel whose epoch changes inside the hold: the old epoch first, then the new one from its start, with a gap', async () => {
    const { client, log } = harness();
    const first = await openClient(client);
    void client.subscribe('t');
    first.deliver(subscribedReply(first.sent[0]!, 0, 'E1'));
    first.deliver(delivery('t', 1, 'E1'));
    const seen: string[] = [];
    client.on('t', (_data, frame) => seen.push(`${frame.epoch}:${frame.seq}`));
    first.serverClose(1006);
    const second = await nextSocket(log);
    second.welcome();
    second.deliver(subscribedReply(second.actions('subscribe')[0]!, 3, 'E1', true));
    for (const [epoch, seq] of [
      ['E1', 3],
      ['E1', 2],
      ['E2', 2],
      ['E1', 3],
      ['E2', 1],
    ] as const) {
      second.deliver(delivery('t', seq, epoch));
    }
    second.answerSync();
    expect(seen).toEqual(['E1:2', 'E1:3', 'E2:1', 'E2:2']);
    expect(log.gap).toEqual([{ channel: 't', since: 3, seq: 1, epoch: 'E2' }]);
  });

  it('a reply that moves the position past what one replay lost never drops what another replay brings', async () => {
    // History was trimmed between the two resubscribes: the first replays 3 and 5, the second
    // answers recovered:false at seq 6. Messages 3 and 5 were never delivered: they still are.
    const { client, log } = harness();
    const first = await openClient(client);
    void client.subscribe('t', { agent_id: 'a1' });
    void client.subscribe('t', { agent_id: 'a2' });
    const [s1, s2] = first.actions('subscribe');
    first.deliver(subscribedReply(s1!, 0, 'E1'));
    first.deliver(subscribedReply(s2!, 0, 'E1'));
    const seen: number[] = [];
    client.on('t', (_data, frame) => seen.push(frame.seq));
    first.deliver(delivery('t', 2, 'E1'));
    first.serverClose(1006);
    const second = await nextSocket(log);
    second.welcome();
    const [r1, r2] = second.actions('subscribe');
    second.deliver(subscribedReply(r1!, 6, 'E1', true));
    second.deliver(delivery('t', 3, 'E1'));
    second.deliver(delivery('t', 5, 'E1'));
    second.deliver(subscribedReply(r2!, 6, 'E1', false));
    second.deliver(delivery('t', 7, 'E1'));
    second.answerSync();
    expect(seen).toEqual([2, 3, 5, 7]);
    expect(log.gap).toEqual([{ channel: 't', since: 2, seq: 6, epoch: 'E1' }]);
    second.deliver(delivery('t', 6, 'E1'));
    expect(seen).toEqual([2, 3, 5, 7]);
  });

  it('disconnect() from a listener while the hold is released: the rest is neither delivered nor recorded', async () => {
    const { client, log } = harness();
    const first = await openClient(client);
    void client.subscribe('t');
    first.deliver(subscribedReply(first.sent[0]!, 0, 'E1'));
    const seen: number[] = [];
    client.on('t', (_data, frame) => {
      seen.push(frame.seq);
      if (frame.seq === 2) client.disconnect();
    });
    first.serverClose(1006);
    const second = await nextSocket(log);
    second.welcome();
    second.deliver(subscribedReply(second.actions('subscribe')[0]!, 3, 'E1', true));
    for (const seq of [3, 1, 2]) second.deliver(delivery('t', seq, 'E1'));
    second.answerSync();
    expect(seen).toEqual([1, 2]);
    client.connect();
    await flush();
    lastSocket().welcome();
    expect(lastSocket().actions('subscribe')[0]).toMatchObject({ since: 2, epoch: 'E1' });
  });

  it('a sync ping the server dropped (rate_limited) is sent again after 1 s; deliveries stay held until its pong', async () => {
    const { client, log } = harness();
    const first = await openClient(client);
    void client.subscribe('alpha');
    first.deliver(subscribedReply(first.sent[0]!, 0, 'E1'));
    const seen: number[] = [];
    client.on('alpha', (_data, frame) => seen.push(frame.seq));
    first.serverClose(1006);
    const second = await nextSocket(log);
    second.welcome();
    const syncPings = () => second.actions('ping').filter((f) => String(f.id).startsWith('sync'));
    expect(syncPings()).toHaveLength(1);
    // The rate limit answers at once, before the resubscribe's replay.
    second.deliver({ type: 'error', id: syncPings()[0]!.id, code: 'rate_limited', message: 'slow down' });
    second.deliver(subscribedReply(second.actions('subscribe')[0]!, 2, 'E1', true));
    second.deliver(delivery('alpha', 2, 'E1'));
    second.deliver(delivery('alpha', 1, 'E1'));
    expect(seen).toEqual([]);
    await advance(999);
    expect(syncPings()).toHaveLength(1);
    await advance(1);
    expect(syncPings()).toHaveLength(2);
    second.answerSync();
    expect(seen).toEqual([1, 2]);
    expect(client.state).toBe('open');
  });
});

describe('subscribed event', () => {
  it('tells every confirmed subscription, also each resubscribe after a reconnect', async () => {
    const { client, log } = harness();
    const subscribed: ClientEvents['subscribed'][] = [];
    client.on('subscribed', (context) => subscribed.push(context));
    const socket = await openClient(client);
    void client.subscribe('telemetry');
    socket.deliver(subscribedReply(socket.actions('subscribe')[0]!, 3, 'e1'));
    expect(subscribed).toEqual([{ channel: 'telemetry', seq: 3, epoch: 'e1' }]);
    socket.serverClose(CloseCode.Abnormal);
    const next = await nextSocket(log);
    next.welcome();
    next.deliver(subscribedReply(next.actions('subscribe')[0]!, 9, 'e2', false));
    expect(subscribed.at(-1)).toEqual({ channel: 'telemetry', seq: 9, epoch: 'e2', recovered: false });
  });
});
