/**
 * Subscribing while messages flow, on a broker whose position/history reads take time (as a
 * networked broker's do): nothing owed to an earlier subscription is lost or duplicated, and the
 * new subscription's messages come in seq order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Broker, MemoryBroker } from '../../src/server/broker/index.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { tokenFor } from '../helpers/tokens.js';
import { sleep, TestClient } from '../helpers/ws-client.js';

const READ_DELAY_MS = 80;

function slowReads(inner: MemoryBroker): Broker {
  return {
    kind: inner.kind,
    processId: inner.processId,
    publish: (request) => inner.publish(request),
    onMessage: (listener) => inner.onMessage(listener),
    watch: (channel) => inner.watch(channel),
    unwatch: (channel) => inner.unwatch(channel),
    listening: (channel) => inner.listening(channel),
    channelHistory: (channel) => inner.channelHistory(channel),
    // The read happens after the delay: messages published meanwhile are at or below the
    // position it returns, yet they reached the session while the subscribe was pending.
    position: async (channel) => {
      await sleep(READ_DELAY_MS);
      return inner.position(channel);
    },
    replay: async (channel, since, epoch) => {
      await sleep(READ_DELAY_MS);
      return inner.replay(channel, since, epoch);
    },
    health: () => inner.health(),
    close: () => inner.close(),
  };
}

describe('subscribe while publishing, with slow history reads', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ deps: { broker: slowReads(new MemoryBroker({ historySize: 100 })) } });
  });
  afterAll(() => server.close());

  it('keeps delivering to an earlier subscription while a second one is answered', async () => {
    const reader = await TestClient.connect(server.wsUrl, await tokenFor('reader'));
    const writer = await TestClient.connect(server.wsUrl, await tokenFor('writer', 'operator'));
    await reader.subscribe('race1', { filters: { k: 'x' } });
    const second = reader.subscribe('race1', { filters: { k: 'y' } });
    await sleep(READ_DELAY_MS / 4);
    await writer.publish('race1', { k: 'x', n: 1 }); // arrives while the second subscribe waits
    await writer.publish('race1', { k: 'y', n: 2 });
    expect(await second).toMatchObject({ type: 'subscribed' });
    await writer.publish('race1', { k: 'y', n: 3 });
    await reader.next((f) => f.type === 'message' && (f.data as { n: number }).n === 3);
    const seen = reader.ofType('message').map((f) => (f.data as { n: number }).n);
    // n=1 is owed to the first subscription; n=2 was published after the second subscribe
    // began but at or before its reply's seq, so only the first subscription could claim it.
    expect(seen).toContain(1);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    await reader.close();
    await writer.close();
  });

  it('replays and then goes live without gaps while publishes race the replay', async () => {
    const writer = await TestClient.connect(server.wsUrl, await tokenFor('writer2', 'operator'));
    for (let n = 1; n <= 5; n++) await writer.publish('race2', { n });
    const reader = await TestClient.connect(server.wsUrl, await tokenFor('reader2'));
    const subscribed = reader.subscribe('race2', { since: 2 });
    for (let n = 6; n <= 10; n++) await writer.publish('race2', { n });
    expect(await subscribed).toMatchObject({ recovered: true });
    await reader.next((f) => f.type === 'message' && (f.data as { n: number }).n === 10);
    expect(reader.ofType('message').map((f) => f.seq)).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
    await reader.close();
    await writer.close();
  });
});
