/**
 * The server's health: a server tells every connection when its Redis goes down, refuses writes
 * or comes back (and a connection opened while it is degraded, right after the welcome). The
 * client emits `health` with what the frame says and keeps the last one as `serverHealth` — for
 * the current connection only: nothing is known before the first frame, nor once it closes.
 */
import { describe, expect, it } from 'vitest';
import { delivery, harness, nextSocket, openClient, useClientScenarios } from '../testing/client-harness.js';

useClientScenarios();

const degraded = { type: 'health', status: 'degraded', redis: 'down', timestamp: 1000 } as const;
const refusing = { type: 'health', status: 'degraded', redis: 'refusing writes', timestamp: 2000 } as const;
const ok = { type: 'health', status: 'ok', redis: 'up', timestamp: 3000 } as const;

describe('server health', () => {
  it('is unknown until the server tells it; each health frame is emitted and becomes serverHealth', async () => {
    const { client, log } = harness();
    expect(client.serverHealth).toBeUndefined();
    const socket = await openClient(client);
    expect(client.serverHealth).toBeUndefined();
    socket.deliver(degraded);
    expect(log.health).toEqual([{ status: 'degraded', redis: 'down', timestamp: 1000 }]);
    expect(client.serverHealth).toEqual({ status: 'degraded', redis: 'down', timestamp: 1000 });
    socket.deliver(refusing);
    socket.deliver(ok);
    expect(log.health.map((h) => h.redis)).toEqual(['down', 'refusing writes', 'up']);
    expect(client.serverHealth).toEqual({ status: 'ok', redis: 'up', timestamp: 3000 });
    expect(log.error).toEqual([]);
    expect(client.state).toBe('open');
  });

  it('is forgotten when the connection closes; the next connection tells its own', async () => {
    const { client, log } = harness();
    const first = await openClient(client);
    first.deliver(degraded);
    expect(client.serverHealth?.status).toBe('degraded');
    first.serverClose(1006);
    expect(client.state).toBe('reconnecting');
    expect(client.serverHealth).toBeUndefined();
    const second = await nextSocket(log);
    second.welcome();
    // Still degraded: the server says so right after the welcome.
    expect(client.serverHealth).toBeUndefined();
    second.deliver(refusing);
    expect(client.serverHealth).toEqual({ status: 'degraded', redis: 'refusing writes', timestamp: 2000 });
    client.disconnect();
    expect(client.serverHealth).toBeUndefined();
    expect(log.health).toHaveLength(2);
  });

  it('a health frame that is not one of the protocol is reported as an error and changes nothing', async () => {
    const { client, log } = harness();
    const socket = await openClient(client);
    socket.deliver(ok);
    socket.deliver({ ...degraded, status: 'on fire' });
    socket.deliver({ ...degraded, redis: 'sleepy' });
    socket.deliver({ type: 'health', status: 'degraded', redis: 'down' }); // no timestamp
    expect(log.error.map((e) => e.code)).toEqual(['send_failed', 'send_failed', 'send_failed']);
    expect(log.health).toHaveLength(1);
    expect(client.serverHealth).toEqual({ status: 'ok', redis: 'up', timestamp: 3000 });
  });

  it("on('health') is the client event, not the channel named health; onChannel('health') is the channel", async () => {
    const { client } = harness();
    const events: unknown[] = [];
    const channel: unknown[] = [];
    client.on('health', (health) => events.push(health));
    client.onChannel('health', (data) => channel.push(data));
    const socket = await openClient(client);
    socket.deliver(degraded);
    socket.deliver(delivery('health', 1, 'E1', 'channel data'));
    expect(events).toEqual([{ status: 'degraded', redis: 'down', timestamp: 1000 }]);
    expect(channel).toEqual(['channel data']);
  });
});
