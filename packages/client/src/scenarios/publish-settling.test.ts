/**
 * How every publish and subscribe settles when the server answers with an error: by the error
 * frame carrying its id, by a later ack (the server answers in order), or by the pong of the
 * drain ping sent after a rate limit — and a sync ping dropped unread is sent again.
 */
import { describe, expect, it } from 'vitest';
import type { PublishResult } from '../events.js';
import {
  advance,
  delivery,
  flush,
  harness,
  nextSocket,
  openClient,
  subscribedReply,
  useClientScenarios,
} from '../testing/client-harness.js';

useClientScenarios();

describe('errors answering requests', () => {
  it('a publish settles with the code of the error frame carrying its id; the ack gives seq and epoch', async () => {
    const { client, log } = harness();
    const socket = await openClient(client);
    const codes = ['rate_limited', 'unavailable', 'forbidden', 'invalid_command', 'invalid_message', 'not_found'];
    const refused = codes.map((_, i) => client.publish('alpha', i));
    const accepted = client.publish('alpha', 'fine');
    const frames = socket.actions('publish');
    let settled = 0;
    for (const result of [...refused, accepted]) void result.then(() => settled++);
    // Errors without an id, or with another one, settle nothing.
    socket.deliver({ type: 'error', code: 'rate_limited', message: 'no id' });
    socket.deliver({ type: 'error', id: 'p-unknown', code: 'rate_limited', message: 'not ours' });
    await flush();
    expect(settled).toBe(0);
    codes.forEach((code, i) => socket.deliver({ type: 'error', id: frames[i]!.id, code, message: `m-${code}` }));
    socket.deliver({ type: 'ack', id: frames.at(-1)!.id, channel: 'alpha', seq: 7, epoch: 'E1' });
    expect(await Promise.all(refused)).toEqual(codes.map((code) => ({ ok: false, code, message: `m-${code}` })));
    expect(await accepted).toEqual({ ok: true, seq: 7, epoch: 'E1', channel: 'alpha' });
    expect(log.error.map((e) => e.code)).toEqual(['rate_limited', 'rate_limited', ...codes]);
    expect(log.error.at(-1)).toEqual({ code: 'not_found', message: 'm-not_found', id: frames[5]!.id });
  });

  it('publishes the server dropped unread settle as rate_limited: by a later ack, or by the pong of a ping sent after the pause', async () => {
    const { client } = harness();
    const socket = await openClient(client);
    const results = [0, 1, 2, 3].map((i) => client.publish('alpha', i));
    const frames = socket.actions('publish');
    const settled: PublishResult[] = [];
    results.forEach((r) => void r.then((result) => settled.push(result)));
    // The server refused #0 at once (with its id) and then did not read #1 and #2; #3 came later.
    socket.deliver({ type: 'error', id: frames[0]!.id, code: 'rate_limited', message: 'not read for 500 ms' });
    socket.deliver({ type: 'ack', id: frames[3]!.id, channel: 'alpha', seq: 9 });
    await flush();
    expect(settled.map((r) => r.ok)).toEqual([false, false, false, true]);
    expect(await results[1]).toMatchObject({ ok: false, code: 'rate_limited', message: /dropped unread/ });
    // Nothing followed the next pause: a ping goes out once it is surely over, and its pong settles what waited.
    const late = [client.publish('alpha', 4), client.publish('alpha', 5)];
    const lateFrames = socket.actions('publish').slice(4);
    socket.deliver({ type: 'error', id: lateFrames[0]!.id, code: 'rate_limited', message: 'not read for 2000 ms' });
    const drainPings = () => socket.actions('ping').filter((f) => /^d\d+$/.test(String(f.id)));
    await advance(2499);
    expect(drainPings()).toHaveLength(0);
    await advance(1);
    expect(drainPings()).toHaveLength(1);
    const afterPing = client.publish('alpha', 6);
    socket.deliver({ type: 'pong', id: drainPings()[0]!.id, timestamp: Date.now() });
    expect(await late[1]).toMatchObject({ ok: false, code: 'rate_limited', message: /dropped unread/ });
    // A publish sent after the ping is not judged by it.
    let afterSettled = false;
    void afterPing.then(() => (afterSettled = true));
    await flush();
    expect(afterSettled).toBe(false);
    socket.deliver({ type: 'ack', id: socket.actions('publish').at(-1)!.id, channel: 'alpha', seq: 10 });
    expect(await afterPing).toMatchObject({ ok: true, seq: 10 });
  });

  it('a sync ping dropped unread is sent again after the drain ping comes back', async () => {
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
    second.deliver(subscribedReply(second.actions('subscribe')[0]!, 1, 'E1', true));
    second.deliver(delivery('alpha', 1, 'E1'));
    // The connection went over its rate: the sync ping was dropped unread (no answer at all).
    second.deliver({ type: 'error', code: 'rate_limited', message: 'not read for 2000 ms' });
    await advance(2500);
    const drain = second.actions('ping').find((f) => /^d\d+$/.test(String(f.id)));
    expect(drain).toBeDefined();
    second.deliver({ type: 'pong', id: drain!.id, timestamp: Date.now() });
    expect(syncPings()).toHaveLength(2);
    expect(seen).toEqual([]);
    second.answerSync();
    expect(seen).toEqual([1]);
  });

  it('an ack without epoch (older servers) resolves with seq and channel', async () => {
    const { client } = harness();
    const socket = await openClient(client);
    const result = client.publish('alpha', 1);
    socket.deliver({ type: 'ack', id: socket.actions('publish')[0]!.id, channel: 'alpha', seq: 3 });
    await expect(result).resolves.toEqual({ ok: true, seq: 3, channel: 'alpha' });
  });

  it('subscribe() settles with the error carrying its id: refusals are forgotten, failures for now are re-sent on reconnect', async () => {
    const { client, log } = harness();
    const first = await openClient(client);
    const forbidden = client.subscribe('secret');
    const limited = client.subscribe('busy');
    const tooMany = client.subscribe('t', { agent_id: 'a3' });
    const invalid = client.subscribe('t', { agent_id: 'a4' });
    const kept = client.subscribe('t', { agent_id: 'a1' });
    const [sSecret, sBusy, sTooMany, sInvalid, sKept] = first.actions('subscribe');
    first.deliver({ type: 'error', id: sSecret!.id, code: 'forbidden', message: 'no' });
    first.deliver({ type: 'error', id: sBusy!.id, code: 'rate_limited', message: 'slow down' });
    first.deliver({ type: 'error', id: sTooMany!.id, code: 'too_many_subscriptions', message: 'full' });
    first.deliver({ type: 'error', id: sInvalid!.id, code: 'invalid_message', message: 'bad filters' });
    first.deliver(subscribedReply(sKept!, 4, 'E1'));
    await expect(forbidden).resolves.toEqual({ ok: false, code: 'forbidden', message: 'no' });
    await expect(limited).resolves.toEqual({ ok: false, code: 'rate_limited', message: 'slow down' });
    await expect(tooMany).resolves.toMatchObject({ ok: false, code: 'too_many_subscriptions' });
    await expect(invalid).resolves.toMatchObject({ ok: false, code: 'invalid_message' });
    await expect(kept).resolves.toEqual({ ok: true, seq: 4, epoch: 'E1' });
    // The refused ones go, even next to another subscription of the same channel.
    expect(client.subscriptions.map((s) => [s.channel, s.filters])).toEqual([
      ['busy', undefined],
      ['t', { agent_id: 'a1' }],
    ]);
    first.serverClose(1006);
    const second = await nextSocket(log);
    second.welcome();
    expect(second.actions('subscribe').map((f) => [f.channel, f.filters, f.since])).toEqual([
      ['busy', undefined, undefined],
      ['t', { agent_id: 'a1' }, 4],
    ]);
  });

  it('a heartbeat ping answered with rate_limited still proves the connection alive', async () => {
    const { client, log } = harness('tok', { pingIntervalMs: 1000, pongTimeoutMs: 500 });
    const socket = await openClient(client);
    await advance(1000);
    const ping = socket.actions('ping')[0]!;
    await advance(20);
    socket.deliver({ type: 'error', id: ping.id, code: 'rate_limited', message: 'slow down' });
    expect(log.rtt).toEqual([{ rttMs: 20 }]);
    await advance(600);
    expect(client.state).toBe('open');
  });
});
