/**
 * Reconnecting: the backoff between attempts (full jitter, its defaults, maxAttempts, the
 * counter reset once a connection is stable), reconnecting at once (`reconnectNow()`, the browser
 * coming back online) and the short random delay after a service restart (1012).
 */
import { describe, expect, it, vi } from 'vitest';
import { CloseCode } from '../protocol/index.js';
import type { PublishResult } from '../events.js';
import {
  advance,
  FakeNetwork,
  FakeSocket,
  flush,
  harness,
  lastSocket,
  nextSocket,
  openClient,
  sockets,
  transitions,
  useClientScenarios,
} from '../testing/client-harness.js';

useClientScenarios();

describe('backoff', () => {
  it('delays follow full jitter below min(maxDelayMs, initialDelayMs × factor^n), and the timer honours them', async () => {
    const { client, log } = harness('tok', { initialDelayMs: 100, maxDelayMs: 2000, factor: 3, random: () => 0.999 });
    client.connect();
    await flush();
    for (let n = 0; n < 7; n++) {
      lastSocket().serverClose(1006);
      const ceiling = Math.min(2000, 100 * 3 ** n);
      const scheduled = log.reconnecting.at(-1)!;
      expect(scheduled.attempt).toBe(n + 1);
      expect(scheduled.delayMs).toBe(Math.floor(0.999 * ceiling));
      expect(scheduled.delayMs).toBeLessThan(ceiling);
      expect(scheduled.nextRetryAt).toBe(Date.now() + scheduled.delayMs);
      expect(client.nextRetryAt).toBe(scheduled.nextRetryAt);
      expect(client.attempt).toBe(n + 1);
      const count = sockets().length;
      await advance(scheduled.delayMs - 1);
      expect(sockets()).toHaveLength(count);
      await advance(1);
      expect(sockets()).toHaveLength(count + 1);
      expect(client.nextRetryAt).toBeUndefined();
    }
  });

  it('uses the injected random for each delay: floor(random × ceiling)', async () => {
    const values = [0, 0.25, 0.5, 0.75, 0.999_999];
    const { client, log } = harness('tok', {
      initialDelayMs: 1000,
      maxDelayMs: 30_000,
      random: () => values.shift() ?? 0,
    });
    client.connect();
    await flush();
    for (let n = 0; n < 5; n++) {
      lastSocket().serverClose(1006);
      await nextSocket(log);
    }
    expect(log.reconnecting.map((r) => r.delayMs)).toEqual([0, 500, 2000, 6000, 15_999]);
  });

  it('defaults: 1 s initial, factor 2, capped at 30 s; with Math.random every delay is inside [0, ceiling)', async () => {
    const { client, log } = harness('tok', { random: Math.random });
    client.connect();
    await flush();
    for (let n = 0; n < 12; n++) {
      lastSocket().serverClose(1006);
      await nextSocket(log);
    }
    const ceilings = [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000, 30_000, 30_000, 30_000, 30_000];
    log.reconnecting.forEach((r, n) => {
      expect(r.delayMs).toBeGreaterThanOrEqual(0);
      expect(r.delayMs).toBeLessThan(ceilings[n]!);
    });
  });

  it('defaults: the highest random gives 999, 1999, 3999 … 29 999 ms', async () => {
    const { client, log } = harness('tok', { random: () => 0.999_999_9 });
    client.connect();
    await flush();
    for (let n = 0; n < 7; n++) {
      lastSocket().serverClose(1006);
      await nextSocket(log);
    }
    expect(log.reconnecting.map((r) => r.delayMs)).toEqual([999, 1999, 3999, 7999, 15_999, 29_999, 29_999]);
  });

  it('maxAttempts: after that many reconnects, reconnect_failed and failed, and nothing more', async () => {
    const { client, log } = harness('tok', { maxAttempts: 3, initialDelayMs: 100 });
    client.connect();
    await flush();
    lastSocket().serverClose(1006);
    for (let n = 0; n < 3; n++) (await nextSocket(log)).serverClose(1006);
    expect(sockets()).toHaveLength(4); // the first connect + 3 reconnects
    expect(client.state).toBe('failed');
    expect(log.reconnecting.map((r) => r.attempt)).toEqual([1, 2, 3]);
    expect(log.reconnect_failed).toEqual([{ attempts: 3, reason: expect.any(String), code: 'unreachable' }]);
    expect(log.state.at(-1)).toMatchObject({ previous: 'connecting', next: 'failed' });
    await advance(10 * 60_000);
    expect(sockets()).toHaveLength(4);
  });

  it('maxAttempts defaults to unlimited', async () => {
    const { client, log } = harness('tok', { random: () => 0 });
    client.connect();
    await flush();
    for (let n = 0; n < 60; n++) {
      lastSocket().serverClose(1006);
      await nextSocket(log);
    }
    expect(client.state).toBe('connecting');
    expect(log.reconnect_failed).toEqual([]);
    expect(client.attempt).toBe(60);
  });

  it('the attempt counter resets after stableAfterMs open, not before', async () => {
    const { client, log } = harness('tok', {
      initialDelayMs: 100,
      maxDelayMs: 100_000,
      random: () => 0.999,
      stableAfterMs: 5000,
    });
    client.connect();
    await flush();
    lastSocket().serverClose(1006);
    (await nextSocket(log)).serverClose(1006);
    (await nextSocket(log)).serverClose(1006);
    const fourth = await nextSocket(log);
    expect(client.attempt).toBe(3);
    fourth.welcome();
    await advance(4999);
    expect(client.attempt).toBe(3);
    fourth.serverClose(1006); // dropped before it was stable: keeps counting
    expect(log.reconnecting.at(-1)).toMatchObject({ attempt: 4, delayMs: Math.floor(0.999 * 800) });
    const fifth = await nextSocket(log);
    fifth.welcome();
    await advance(5000);
    expect(client.attempt).toBe(0);
    fifth.serverClose(1006);
    expect(log.reconnecting.at(-1)).toMatchObject({ attempt: 1, delayMs: 99 });
  });

  it('disconnected.willReconnect is false when the attempts are exhausted', async () => {
    const { client, log } = harness('tok', { maxAttempts: 1, initialDelayMs: 100 });
    const first = await openClient(client);
    first.serverClose(1006);
    const second = await nextSocket(log);
    second.welcome();
    second.serverClose(1006); // before stableAfterMs: the single attempt is used up
    expect(client.state).toBe('failed');
    expect(log.disconnected.at(-1)).toMatchObject({ code: 1006, willReconnect: false });
  });

  it('publishes still queued when reconnecting gives up (maxAttempts) are settled, not left pending', async () => {
    const { client, log } = harness('tok', { maxAttempts: 1, initialDelayMs: 100 });
    client.connect();
    await flush();
    lastSocket().serverClose(1006);
    let result: PublishResult | undefined;
    void client.publish('alpha', 1).then((r) => (result = r));
    (await nextSocket(log)).serverClose(1006);
    expect(client.state).toBe('failed');
    await flush();
    expect(result).toMatchObject({ ok: false });
  });
});

describe('reconnectNow() and the service-restart retry', () => {
  it('reconnectNow() skips the backoff wait: a new socket at once, no second one when the old timer was due', async () => {
    const { client, log } = harness('tok', { initialDelayMs: 10_000, random: () => 0.9 });
    await openClient(client);
    lastSocket().serverClose(CloseCode.Abnormal);
    expect(client.state).toBe('reconnecting');
    expect(log.reconnecting.at(-1)!.delayMs).toBe(9000);
    const count = sockets().length;
    client.reconnectNow();
    await flush();
    expect(sockets()).toHaveLength(count + 1);
    expect(client.state).toBe('connecting');
    expect(transitions(log.state).slice(-1)).toEqual(['reconnecting>connecting']);
    expect(log.state.at(-1)!.reason).toBe('reconnect now');
    lastSocket().welcome();
    await advance(20_000);
    expect(sockets()).toHaveLength(count + 1);
    expect(client.state).toBe('open');
  });

  it('reconnectNow() does nothing while connecting or open, and reopens from closed', async () => {
    const { client } = harness();
    await openClient(client);
    client.reconnectNow();
    await flush();
    expect(sockets()).toHaveLength(1);
    client.disconnect();
    client.reconnectNow();
    await flush();
    expect(sockets()).toHaveLength(2);
    expect(client.state).toBe('connecting');
    client.reconnectNow();
    await flush();
    expect(sockets()).toHaveLength(2);
  });

  it('after close 1012 the first retry comes within a random delay of at most 2 s, whatever the backoff', async () => {
    for (const random of [0, 0.5, 0.999_999]) {
      FakeSocket.reset();
      const { client, log } = harness('tok', { initialDelayMs: 30_000, maxDelayMs: 30_000, random: () => random });
      await openClient(client);
      // Unstable connections before: the attempt counter is high, the backoff long.
      for (let n = 0; n < 4; n++) {
        lastSocket().serverClose(CloseCode.Abnormal);
        (await nextSocket(log)).welcome();
      }
      lastSocket().serverClose(CloseCode.ServiceRestart, 'service restart');
      const scheduled = log.reconnecting.at(-1)!;
      expect(scheduled.delayMs).toBe(Math.floor(random * 2000));
      expect(scheduled.delayMs).toBeLessThan(2000);
      const count = sockets().length;
      await advance(scheduled.delayMs);
      expect(sockets()).toHaveLength(count + 1);
      // The server is not back yet: the next retries follow the backoff again.
      lastSocket().serverClose(CloseCode.Abnormal);
      expect(log.reconnecting.at(-1)!.delayMs).toBe(Math.floor(random * 30_000));
      client.disconnect();
    }
  });
});

describe('network (browsers)', () => {
  it('offline: no retry timer; the online event reconnects at once', async () => {
    const network = new FakeNetwork();
    const { client, log } = harness('tok', { network });
    const first = await openClient(client);
    network.online = false;
    first.serverClose(1006);
    expect(client.state).toBe('reconnecting');
    expect(log.reconnecting).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
    await advance(10 * 60_000);
    expect(sockets()).toHaveLength(1);
    network.goOnline();
    await flush();
    expect(sockets()).toHaveLength(2);
    expect(client.state).toBe('connecting');
    expect(log.state.at(-1)!.reason).toMatch(/online/);
    lastSocket().welcome();
    expect(client.state).toBe('open');
  });

  it('online while a retry is pending reconnects at once and cancels the timer', async () => {
    const network = new FakeNetwork();
    const { client, log } = harness('tok', { network, random: () => 0.999 });
    const first = await openClient(client);
    first.serverClose(1006);
    expect(log.reconnecting.at(-1)!.delayMs).toBe(999);
    network.goOnline();
    await flush();
    expect(sockets()).toHaveLength(2);
    lastSocket().welcome();
    await advance(10_000);
    expect(sockets()).toHaveLength(2);
    expect(client.state).toBe('open');
  });

  it('online while open or closed does nothing; disconnect() stops listening', async () => {
    const network = new FakeNetwork();
    const { client } = harness('tok', { network });
    await openClient(client);
    expect(network.listeners.size).toBe(1);
    network.goOnline();
    await flush();
    expect(sockets()).toHaveLength(1);
    client.disconnect();
    expect(network.listeners.size).toBe(0);
  });
});
