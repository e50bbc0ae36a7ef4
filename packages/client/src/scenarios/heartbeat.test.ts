/**
 * Liveness: the application-level ping while open, its rtt, a dead connection found by an
 * unanswered ping, and `checkLiveness()`.
 */
import { describe, expect, it } from 'vitest';
import {
  advance,
  flush,
  harness,
  lastSocket,
  nextSocket,
  openClient,
  useClientScenarios,
} from '../testing/client-harness.js';

useClientScenarios();

describe('heartbeat', () => {
  it('pings every pingIntervalMs while open; the pong gives the rtt, emitted and readable', async () => {
    const { client, log } = harness('tok', { pingIntervalMs: 1000, pongTimeoutMs: 500 });
    const socket = await openClient(client);
    expect(client.rttMs).toBeUndefined();
    await advance(999);
    expect(socket.actions('ping')).toEqual([]);
    await advance(1);
    const ping = socket.actions('ping')[0]!;
    expect(ping).toEqual({ action: 'ping', id: expect.any(String) });
    await advance(37);
    socket.deliver({ type: 'pong', id: ping.id, timestamp: Date.now() });
    expect(log.rtt).toEqual([{ rttMs: 37 }]);
    expect(client.rttMs).toBe(37);
    await advance(1000);
    expect(socket.actions('ping')).toHaveLength(2);
    expect(client.state).toBe('open');
  });

  it('no pong within pongTimeoutMs → the socket is abandoned and the client reconnects', async () => {
    const { client, log } = harness('tok', { pingIntervalMs: 1000, pongTimeoutMs: 500 });
    const socket = await openClient(client);
    await advance(1000 + 499);
    expect(client.state).toBe('open');
    await advance(1);
    expect(client.state).toBe('reconnecting');
    expect(log.disconnected).toEqual([
      { code: 1006, reason: expect.stringContaining('heartbeat'), willReconnect: true },
    ]);
    expect(socket.closedByClient).toBeDefined();
    const second = await nextSocket(log);
    second.welcome();
    expect(client.state).toBe('open');
  });

  it('defaults: ping every 15 s, dead after 10 s without pong', async () => {
    const { client } = harness();
    const socket = await openClient(client);
    await advance(14_999);
    expect(socket.actions('ping')).toEqual([]);
    await advance(1);
    expect(socket.actions('ping')).toHaveLength(1);
    await advance(9_999);
    expect(client.state).toBe('open');
    await advance(1);
    expect(client.state).toBe('reconnecting');
  });

  it('a pong for another id neither gives an rtt nor saves the connection', async () => {
    const { client, log } = harness('tok', { pingIntervalMs: 1000, pongTimeoutMs: 500 });
    const socket = await openClient(client);
    await advance(1000);
    socket.deliver({ type: 'pong', id: 'not-mine', timestamp: Date.now() });
    expect(log.rtt).toEqual([]);
    await advance(500);
    expect(client.state).toBe('reconnecting');
  });

  it('checkLiveness() pings at once while open', async () => {
    const { client } = harness('tok', { pingIntervalMs: 60_000 });
    const socket = await openClient(client);
    client.checkLiveness();
    expect(socket.actions('ping')).toHaveLength(1);
  });

  it('does not ping while not open', async () => {
    const { client } = harness('tok', { pingIntervalMs: 1000 });
    client.connect();
    await flush();
    const socket = lastSocket();
    socket.open();
    await advance(5000);
    expect(socket.actions('ping')).toEqual([]);
  });
});
