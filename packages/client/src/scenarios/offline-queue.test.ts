/**
 * Publishing while not connected: publishes wait in a bounded queue, are sent once and in order
 * after the subscriptions when the connection opens, and settle (queue_overflow, disconnected,
 * closed) when they cannot be sent.
 */
import { describe, expect, it } from 'vitest';
import { harness, nextSocket, openClient, useClientScenarios } from '../testing/client-harness.js';

useClientScenarios();

describe('offline queue', () => {
  it('publishes made while offline wait and are sent once, in order, after the subscriptions, on open', async () => {
    const { client, log } = harness();
    void client.subscribe('alpha');
    const results = [client.publish('alpha', 1), client.publish('alpha', 2), client.publish('beta', 3)];
    expect(client.queuedCount).toBe(3);
    const socket = await openClient(client);
    expect(client.queuedCount).toBe(0);
    expect(socket.frames.map((f) => [f.action, f.channel, f.payload])).toEqual([
      ['subscribe', 'alpha', undefined],
      ['publish', 'alpha', 1],
      ['publish', 'alpha', 2],
      ['publish', 'beta', 3],
    ]);
    socket
      .actions('publish')
      .forEach((f, i) => socket.deliver({ type: 'ack', id: f.id, channel: f.channel, seq: 10 + i, epoch: 'E1' }));
    await expect(Promise.all(results)).resolves.toEqual([
      { ok: true, seq: 10, epoch: 'E1', channel: 'alpha' },
      { ok: true, seq: 11, epoch: 'E1', channel: 'alpha' },
      { ok: true, seq: 12, epoch: 'E1', channel: 'beta' },
    ]);
    // Reconnecting does not send them again.
    socket.serverClose(1006);
    const second = await nextSocket(log);
    second.welcome();
    expect(second.actions('publish')).toEqual([]);
  });

  it('is bounded: the oldest frames are dropped first, settled as queue_overflow, with an event saying how many', async () => {
    const { client, log } = harness('tok', { offlineQueueSize: 3 });
    const results = [1, 2, 3, 4, 5].map((n) => client.publish('alpha', n));
    expect(client.queuedCount).toBe(3);
    expect(log.queue_overflow).toEqual([
      { dropped: 1, capacity: 3 },
      { dropped: 1, capacity: 3 },
    ]);
    await expect(results[0]).resolves.toMatchObject({ ok: false, code: 'queue_overflow' });
    await expect(results[1]).resolves.toMatchObject({ ok: false, code: 'queue_overflow' });
    const socket = await openClient(client);
    expect(socket.actions('publish').map((f) => f.payload)).toEqual([3, 4, 5]);
  });

  it('holds 1000 publishes by default', async () => {
    const { client, log } = harness();
    const first = client.publish('alpha', 0);
    for (let n = 1; n < 1000; n++) void client.publish('alpha', n);
    expect(client.queuedCount).toBe(1000);
    expect(log.queue_overflow).toEqual([]);
    void client.publish('alpha', 1000);
    expect(client.queuedCount).toBe(1000);
    expect(log.queue_overflow).toEqual([{ dropped: 1, capacity: 1000 }]);
    await expect(first).resolves.toMatchObject({ ok: false, code: 'queue_overflow' });
    const socket = await openClient(client);
    const payloads = socket.actions('publish').map((f) => f.payload);
    expect(payloads).toHaveLength(1000);
    expect(payloads[0]).toBe(1);
    expect(payloads.at(-1)).toBe(1000);
  });

  it('a publish in flight when the connection drops resolves disconnected and is not re-sent', async () => {
    const { client, log } = harness();
    const first = await openClient(client);
    const result = client.publish('alpha', 'x');
    expect(first.actions('publish')).toHaveLength(1);
    first.serverClose(1006);
    await expect(result).resolves.toMatchObject({ ok: false, code: 'disconnected' });
    const second = await nextSocket(log);
    second.welcome();
    expect(second.actions('publish')).toEqual([]);
  });

  it('disconnect() settles queued publishes as closed', async () => {
    const { client } = harness();
    const result = client.publish('alpha', 1);
    client.disconnect();
    await expect(result).resolves.toMatchObject({ ok: false, code: 'closed' });
    expect(client.queuedCount).toBe(0);
  });
});
