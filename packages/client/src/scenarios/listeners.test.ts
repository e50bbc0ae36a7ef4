/**
 * Listening: `on()` for client events and channels, each returning its own off(), and
 * `onChannel()` for a channel named like a client event.
 */
import { describe, expect, it } from 'vitest';
import { delivery, harness, openClient, useClientScenarios } from '../testing/client-harness.js';

useClientScenarios();

describe('on()', () => {
  it('returns a working off() for client events and for channels', async () => {
    const { client } = harness('tok');
    const states: string[] = [];
    const offState = client.on('state', ({ next }) => states.push(next));
    const data: unknown[] = [];
    const offAlpha = client.on('alpha', (d) => data.push(d));
    const socket = await openClient(client);
    socket.deliver(delivery('alpha', 1, 'E1', 'one'));
    offState();
    offAlpha();
    socket.deliver(delivery('alpha', 2, 'E1', 'two'));
    client.disconnect();
    expect(states).toEqual(['connecting', 'open']);
    expect(data).toEqual(['one']);
  });

  it('onChannel() listens to a channel named like a client event', async () => {
    const { client } = harness('tok');
    const got: unknown[] = [];
    client.onChannel('error', (d) => got.push(d));
    const socket = await openClient(client);
    socket.deliver(delivery('error', 1, 'E1', 'channel data'));
    expect(got).toEqual(['channel data']);
  });
});
