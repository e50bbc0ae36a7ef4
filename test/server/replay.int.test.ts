/**
 * History replay on subscribe (`since`): sent in slices that never hold the event loop for long,
 * paced by what the viewer reads, stopped as soon as the viewer goes, and — when a client holds
 * several filtered subscriptions of one channel — one merged replay in seq order on the wire.
 */
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Broker, MemoryBroker } from '../../src/server/broker/index.js';
import { NexusWebSocket } from '@nexus-realtime/client';
import { uniqueChannel } from '../helpers/assertions.js';
import { LeanSubscriber, metricValue, pollUntil, scrapeMetrics } from '../helpers/raw.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { tokenFor } from '../helpers/tokens.js';
import { TestClient, sleep } from '../helpers/ws-client.js';

const HISTORY = 1000;
const MESSAGE_BYTES = 100_000;

let userCounter = 0;
const user = (prefix: string) => `replay-${prefix}-${++userCounter}`;

/** Fills `channel` with HISTORY messages of ~100 KB, straight through the broker. */
async function fillHistory(server: TestServer, channel: string): Promise<void> {
  const blob = 'h'.repeat(MESSAGE_BYTES);
  for (let i = 1; i <= HISTORY; i++)
    await server.broker.publish({ channel, kind: 'message', from: 'filler', data: { i, blob } });
}

/**
 * A viewer that keeps as little work as possible on the test's side of the event loop (which it
 * shares with the server): it reads only the `seq` at the end of each delivery frame.
 */
class ReplayViewer {
  readonly seqs: number[] = [];
  readonly others: string[] = [];
  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      const tail = data.toString('latin1', Math.max(0, data.length - 120));
      const seq = /"seq":(\d+),"epoch":"[^"]*"}$/.exec(tail);
      if (seq && data.toString('latin1', 0, 18) === '{"type":"message",') this.seqs.push(Number(seq[1]));
      else this.others.push(data.toString('utf8', 0, 200));
    });
  }

  static async connect(url: string, token: string): Promise<ReplayViewer> {
    const socket = new WebSocket(`${url}?token=${encodeURIComponent(token)}`, {
      perMessageDeflate: false,
      skipUTF8Validation: true,
    });
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    return new ReplayViewer(socket);
  }

  /** Resolves once `count` deliveries came; false after `timeoutMs`. */
  received(count: number, timeoutMs: number): Promise<boolean> {
    return pollUntil(() => this.seqs.length >= count, timeoutMs, 20);
  }
}

/** Pings every `everyMs` until stopped; records each round trip (ms). */
function pingLoop(client: TestClient, everyMs: number) {
  const roundTrips: number[] = [];
  let running = true;
  const done = (async () => {
    for (let n = 0; running && n < 2000; n++) {
      const sentAt = performance.now();
      await client.request({ action: 'ping' }, 10_000);
      roundTrips.push(performance.now() - sentAt);
      await sleep(everyMs);
    }
  })();
  return {
    roundTrips,
    stop: async () => {
      running = false;
      await done;
    },
  };
}

describe(`replay of ${HISTORY} × 100 KB to five viewers at once`, () => {
  let server: TestServer;
  const channel = 'replay.big';
  beforeAll(async () => {
    server = await startServer({
      env: { NEXUS_HISTORY_SIZE: String(HISTORY), NEXUS_HISTORY_MAX_BYTES: String(1024 * 1024 * 1024) },
    });
    await fillHistory(server, channel);
  }, 60_000);
  afterAll(() => server.close());

  it('every viewer gets the whole history in order while a bystander keeps its latency and its live messages', async () => {
    const bystander = await TestClient.connect(server.wsUrl, await tokenFor(user('bystander')));
    const publisher = await TestClient.connect(server.wsUrl, await tokenFor(user('pub'), 'operator'));
    const live = uniqueChannel('replay.live');
    await bystander.subscribe(live);
    const viewers = await Promise.all(
      Array.from({ length: 5 }, async () => ReplayViewer.connect(server.wsUrl, await tokenFor(user('viewer')))),
    );
    const pings = pingLoop(bystander, 10);
    await sleep(50);
    for (const viewer of viewers) viewer.socket.send(JSON.stringify({ action: 'subscribe', channel, since: 0 }));
    // Live traffic for the bystander while the replays run.
    const liveLatencies: number[] = [];
    let marker = 0;
    while (!viewers.every((v) => v.seqs.length >= HISTORY) && marker < 300) {
      const n = ++marker;
      const sentAt = performance.now();
      const received = bystander.next((f) => f.type === 'message' && (f.data as { n: number }).n === n, 10_000);
      await publisher.publish(live, { n });
      await received;
      liveLatencies.push(performance.now() - sentAt);
      await sleep(20);
    }
    const complete = await Promise.all(viewers.map((v) => v.received(HISTORY, 30_000)));
    await pings.stop();

    expect(complete).toEqual([true, true, true, true, true]);
    for (const viewer of viewers) {
      expect(viewer.seqs).toEqual(Array.from({ length: HISTORY }, (_, k) => k + 1));
      const replies = viewer.others.map((f) => (JSON.parse(f) as { type: string }).type);
      expect(replies.filter((type) => type !== 'connected')).toEqual(['subscribed']);
      expect(viewer.socket.readyState).toBe(WebSocket.OPEN);
    }
    if (process.env.REPLAY_DEBUG)
      console.log('rtt', pings.roundTrips.map(Math.round).join(' '), 'live', liveLatencies.map(Math.round).join(' '));
    expect(pings.roundTrips.length).toBeGreaterThan(5);
    expect(
      Math.max(...pings.roundTrips),
      `ping round trips: ${pings.roundTrips.map(Math.round).join(' ')}`,
    ).toBeLessThan(250);
    expect(liveLatencies.length).toBeGreaterThan(0);
    expect(Math.max(...liveLatencies), `live latencies: ${liveLatencies.map(Math.round).join(' ')}`).toBeLessThan(250);
    for (const viewer of viewers) viewer.socket.close();
    await Promise.all([bystander.close(), publisher.close()]);
  }, 90_000);
});

/** The memory broker, counting the replayed messages read from history. */
function countingReads(inner: MemoryBroker): Broker & { readonly replayedReads: number } {
  let replayedReads = 0;
  return {
    kind: inner.kind,
    processId: inner.processId,
    get replayedReads() {
      return replayedReads;
    },
    publish: (request) => inner.publish(request),
    onMessage: (listener) => inner.onMessage(listener),
    watch: (channel) => inner.watch(channel),
    unwatch: (channel) => inner.unwatch(channel),
    listening: (channel) => inner.listening(channel),
    position: (channel) => inner.position(channel),
    channelHistory: (channel) => inner.channelHistory(channel),
    replay: async (channel, since, epoch) => {
      const replay = await inner.replay(channel, since, epoch);
      const pages = replay.pages;
      return {
        ...replay,
        pages: {
          async *[Symbol.asyncIterator]() {
            for await (const page of pages) {
              replayedReads += page.length;
              yield page;
            }
          },
        },
      };
    },
    health: () => inner.health(),
    close: () => inner.close(),
  };
}

describe('a replay stops when its viewer goes', () => {
  const broker = countingReads(new MemoryBroker({ historySize: HISTORY }));
  let server: TestServer;
  const channel = 'replay.stop';
  beforeAll(async () => {
    server = await startServer({ env: { NEXUS_HISTORY_SIZE: String(HISTORY) }, deps: { broker } });
    await fillHistory(server, channel);
  }, 60_000);
  afterAll(() => server.close());

  const framesOut = async () => metricValue(await scrapeMetrics(server), 'nexus_frames_out_total') ?? 0;

  it('a viewer that stops reading holds the replay (bounded), and when it disconnects nothing more is read or sent', async () => {
    const viewer = await LeanSubscriber.connect(server.wsUrl, await tokenFor(user('leaver')), {
      perMessageDeflate: false,
    });
    viewer.socket.send(JSON.stringify({ action: 'subscribe', channel, since: 0 }));
    await viewer.waitFor(20, 10_000);
    viewer.socket.pause();
    // Paced: once the socket holds about half of NEXUS_MAX_BUFFERED the replay waits.
    let previous = -1;
    const settled = await pollUntil(
      async () => {
        const now = await framesOut();
        const same = now === previous;
        previous = now;
        return same;
      },
      10_000,
      200,
    );
    expect(settled, 'the replay kept sending to a viewer that reads nothing').toBe(true);
    const readWhilePaused = broker.replayedReads;
    expect(readWhilePaused).toBeLessThan(HISTORY);
    expect(server.connections()).toBe(1);

    (viewer.socket as unknown as { _socket: Socket })._socket.destroy();
    expect(await pollUntil(() => server.connections() === 0, 5000)).toBe(true);
    const sentAtClose = await framesOut();
    await sleep(300);
    expect(await framesOut()).toBe(sentAtClose);
    // At most the page that was being sent when the viewer went was read after it.
    expect(broker.replayedReads - readWhilePaused).toBeLessThanOrEqual(100);
    expect(broker.replayedReads).toBeLessThan(HISTORY);
  }, 60_000);
});

describe('live messages waiting behind a replay (NEXUS_MAX_BUFFERED=1048576)', () => {
  let server: TestServer;
  const channel = 'replay.pending';
  beforeAll(async () => {
    server = await startServer({
      env: { NEXUS_HISTORY_SIZE: String(HISTORY), NEXUS_MAX_BUFFERED: '1048576', NEXUS_DEFLATE: 'off' },
      deps: { closeGraceMs: 5000 },
    });
    await fillHistory(server, channel);
  }, 60_000);
  afterAll(() => server.close());

  it('count against the slow-consumer limit: a viewer stuck in its replay is cut with 4008, a bystander gets every live message', async () => {
    const bystander = await LeanSubscriber.connect(server.wsUrl, await tokenFor(user('bystander')));
    const firstLive = (await bystander.subscribe(channel)) + 1;
    const viewer = await TestClient.connect(server.wsUrl, await tokenFor(user('stuck')), { perMessageDeflate: false });
    viewer.send({ action: 'subscribe', channel, since: 0, id: 'stuck' });
    await viewer.next((f) => f.type === 'message' && f.seq === 20, 10_000);
    viewer.socket.pause();
    const cuts = async () =>
      metricValue(await scrapeMetrics(server), 'nexus_dropped_total', 'reason="slow_consumer"') ?? 0;
    const publisher = await TestClient.connect(server.wsUrl, await tokenFor(user('pub'), 'operator'));
    const blob = 'l'.repeat(MESSAGE_BYTES);
    let published = 0;
    // Bounded: at most 40 live messages of 100 KB; stop once the viewer is cut.
    while (published < 40 && (await cuts()) === 0) {
      await publisher.publish(channel, { live: ++published, blob });
    }
    expect(await cuts(), `not cut after ${published} live messages`).toBe(1);
    expect(published).toBeGreaterThan(5);
    viewer.socket.resume();
    expect(await Promise.race([viewer.closed, sleep(6000).then(() => 'not closed')])).toEqual({
      code: 4008,
      reason: 'slow consumer',
    });
    await bystander.waitFor(published, 10_000);
    expect(bystander.seqs).toEqual(Array.from({ length: published }, (_, k) => firstLive + k));
    await Promise.all([bystander.close(), publisher.close()]);
  }, 60_000);
});

describe('history trimmed while it is replayed', () => {
  let server: TestServer;
  const channel = 'replay.trimmed';
  beforeAll(async () => {
    server = await startServer({ env: { NEXUS_HISTORY_SIZE: String(HISTORY), NEXUS_DEFLATE: 'off' } });
    await fillHistory(server, channel);
  }, 60_000);
  afterAll(() => server.close());

  it('answers history_unavailable with the subscribe id, then goes on live; the connection stays open', async () => {
    const viewer = await TestClient.connect(server.wsUrl, await tokenFor(user('trimmed')), {
      perMessageDeflate: false,
    });
    viewer.send({ action: 'subscribe', channel, since: 0, id: 'replay-me' });
    await viewer.next((f) => f.type === 'message' && f.seq === 10, 10_000);
    viewer.socket.pause();
    // Meanwhile the history moves on: HISTORY small messages push every replayed one out.
    for (let i = 1; i <= HISTORY; i++)
      await server.broker.publish({ channel, kind: 'message', from: 'filler', data: { small: i } });
    viewer.socket.resume();
    const error = await viewer.next((f) => f.type === 'error', 20_000);
    expect(error).toMatchObject({ code: 'history_unavailable', id: 'replay-me' });
    await viewer.next((f) => f.type === 'message' && f.seq === 2 * HISTORY, 20_000);
    const seqs = viewer.ofType('message').map((f) => f.seq as number);
    const replayed = seqs.filter((seq) => seq <= HISTORY);
    // A contiguous prefix of the replay, then every live message, each once and in order.
    expect(replayed).toEqual(Array.from({ length: replayed.length }, (_, k) => k + 1));
    expect(replayed.length).toBeLessThan(HISTORY);
    expect(seqs.slice(replayed.length)).toEqual(Array.from({ length: HISTORY }, (_, k) => HISTORY + k + 1));
    await viewer.assertAlive();
    await viewer.close();
  }, 60_000);
});

describe('several filtered subscriptions of one channel re-subscribed with since', () => {
  let server: TestServer;
  const clients: { close(): unknown }[] = [];
  beforeAll(async () => {
    server = await startServer();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(() => server.close());

  async function publishAlternating(channel: string, from: number, to: number): Promise<void> {
    const publisher = await TestClient.connect(server.wsUrl, await tokenFor(user('pub'), 'operator'));
    for (let n = from; n <= to; n++) await publisher.publish(channel, { k: n % 2 === 1 ? 'a' : 'b', n });
    await publisher.close();
  }

  it('get one merged replay: the seqs on the wire go up strictly, each once', async () => {
    const channel = uniqueChannel('replay.filtered');
    await publishAlternating(channel, 1, 8);
    const client = await TestClient.connect(server.wsUrl, await tokenFor(user('filtered')), {
      perMessageDeflate: false,
    });
    clients.push(client);
    // Both subscribes in one TCP write, the way a client re-subscribes after a reconnect.
    const tcp = (client.socket as unknown as { _socket: Socket })._socket;
    tcp.cork();
    client.send({ action: 'subscribe', id: 'a', channel, filters: { k: 'a' }, since: 2 });
    client.send({ action: 'subscribe', id: 'b', channel, filters: { k: 'b' }, since: 2 });
    tcp.uncork();
    await client.next((f) => f.type === 'message' && f.seq === 8);
    await client.assertAlive();
    const replies = client.frames.filter((f) => f.type === 'subscribed');
    expect(replies).toEqual([
      expect.objectContaining({ id: 'a', channel, filters: { k: 'a' }, seq: 8, recovered: true }),
      expect.objectContaining({ id: 'b', channel, filters: { k: 'b' }, seq: 8, recovered: true }),
    ]);
    expect(client.ofType('message').map((f) => f.seq)).toEqual([3, 4, 5, 6, 7, 8]);
    // Then live, each message once.
    await publishAlternating(channel, 9, 10);
    await client.next((f) => f.type === 'message' && f.seq === 10);
    expect(client.ofType('message').map((f) => f.seq)).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('each subscribe of the group is answered for its own since and filters', async () => {
    const channel = uniqueChannel('replay.mixed');
    await publishAlternating(channel, 1, 8);
    const client = await TestClient.connect(server.wsUrl, await tokenFor(user('mixed')));
    clients.push(client);
    const tcp = (client.socket as unknown as { _socket: Socket })._socket;
    tcp.cork();
    client.send({ action: 'subscribe', id: 'a', channel, filters: { k: 'a' }, since: 4 });
    client.send({ action: 'subscribe', id: 'b', channel, filters: { k: 'b' }, since: 1 });
    client.send({ action: 'subscribe', id: 'x', channel, filters: { k: 'x' } });
    client.send({ action: 'subscribe', id: 'old', channel, filters: { k: 'a' }, since: 2, epoch: 'another-epoch' });
    tcp.uncork();
    await client.assertAlive();
    const replies = client.frames.filter((f) => f.type === 'subscribed');
    expect(replies.map((f) => [f.id, f.recovered])).toEqual([
      ['a', true],
      ['b', true],
      ['x', undefined],
      ['old', false],
    ]);
    // b from 1: 2, 4, 6, 8; a from 4: 5, 7 — merged in seq order.
    expect(client.ofType('message').map((f) => f.seq)).toEqual([2, 4, 5, 6, 7, 8]);
  });

  it('through NexusWebSocket: after a reconnect, the missed messages of both subscriptions arrive on the wire in seq order', async () => {
    const channel = uniqueChannel('replay.client');
    const wire: number[] = [];
    let offline = false;
    const opened: WebSocket[] = [];
    /** The client's own ws socket (deflate on, as browsers), recording the seq of every delivery off the wire. */
    class RecordingWebSocket extends WebSocket {
      constructor(url: string) {
        // While "offline", connections go to a port where nobody listens.
        super(offline ? url.replace(`:${server.port}/`, ':1/') : url);
        opened.push(this);
        this.on('message', (data) => {
          const frame = JSON.parse(String(data)) as { type: string; seq?: number };
          if (frame.type === 'message') wire.push(frame.seq!);
        });
      }
    }
    const client = new NexusWebSocket(server.wsUrl, await tokenFor(user('nexus')), {
      WebSocket: RecordingWebSocket as never,
      initialDelayMs: 10,
      maxDelayMs: 50,
    });
    clients.push({ close: () => client.disconnect() });
    const received: number[] = [];
    client.on(channel, (_data, frame) => received.push(frame.seq));
    client.connect();
    await Promise.all([client.subscribe(channel, { k: 'a' }), client.subscribe(channel, { k: 'b' })]);
    await publishAlternating(channel, 1, 2);
    expect(await pollUntil(() => received.length === 2, 5000)).toBe(true);

    offline = true;
    opened.at(-1)!.terminate();
    expect(await pollUntil(() => client.state !== 'open', 5000)).toBe(true);
    await publishAlternating(channel, 3, 8);
    wire.length = 0;
    offline = false;
    expect(await pollUntil(() => received.length === 8, 10_000), `received ${received.join(',')}`).toBe(true);
    expect(wire).toEqual([3, 4, 5, 6, 7, 8]);
    expect(received).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});
