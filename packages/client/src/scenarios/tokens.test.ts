/**
 * Tokens: asked from the provider before every connect; a close 4001 or a refused upgrade asks
 * for a new one (the same one again ends in failed); a provider's token is refreshed in band
 * shortly before its exp, and a refresh the server drops is sent again.
 */
import { describe, expect, it, vi } from 'vitest';
import {
  advance,
  fakeJwt,
  flush,
  harness,
  lastSocket,
  nextSocket,
  openClient,
  sockets,
  useClientScenarios,
} from '../testing/client-harness.js';

useClientScenarios();

describe('tokens: 4001 and refused upgrades', () => {
  it('4001 with a string token → failed (the token cannot be renewed)', async () => {
    const { client, log } = harness('tok');
    const first = await openClient(client);
    first.serverClose(4001, 'token expired');
    expect(client.state).toBe('failed');
    expect(log.disconnected).toEqual([{ code: 4001, reason: 'token expired', willReconnect: false }]);
    expect(log.reconnect_failed).toHaveLength(1);
    await advance(10 * 60_000);
    expect(sockets()).toHaveLength(1);
  });

  it('4001 with a provider returning a new token → reconnects with the new token in the URL', async () => {
    const tokens = ['first', 'second'];
    const provider = vi.fn(() => tokens.shift() ?? 'exhausted');
    const { client, log } = harness(provider);
    const first = await openClient(client);
    expect(first.token).toBe('first');
    first.serverClose(4001, 'token expired');
    expect(log.disconnected).toEqual([{ code: 4001, reason: 'token expired', willReconnect: true }]);
    expect(client.state).toBe('reconnecting');
    const second = await nextSocket(log);
    expect(second.token).toBe('second');
    second.welcome();
    expect(client.state).toBe('open');
    expect(provider).toHaveBeenCalledTimes(2);
  });

  it('4001 with a provider returning the same token → failed, no socket with the refused token', async () => {
    const provider = vi.fn(() => Promise.resolve('same'));
    const { client, log } = harness(provider);
    const first = await openClient(client);
    first.serverClose(4001);
    await advance(log.reconnecting.at(-1)!.delayMs);
    expect(client.state).toBe('failed');
    expect(sockets()).toHaveLength(1);
    expect(provider).toHaveBeenCalledTimes(2);
    expect(log.reconnect_failed).toHaveLength(1);
    await advance(10 * 60_000);
    expect(sockets()).toHaveLength(1);
    expect(provider).toHaveBeenCalledTimes(2);
  });

  it.each([401, 403])(
    'upgrade refused with %i, the provider returning the same token → failed, no further socket',
    async (status) => {
      const provider = vi.fn(() => 'same');
      const { client, log } = harness(provider);
      client.connect();
      await flush();
      lastSocket().refuseUpgrade(status);
      expect(client.state).toBe('reconnecting');
      await advance(log.reconnecting.at(-1)!.delayMs);
      expect(client.state).toBe('failed');
      expect(sockets()).toHaveLength(1);
      expect(provider).toHaveBeenCalledTimes(2);
      expect(log.reconnect_failed).toHaveLength(1);
      expect(log.state.at(-1)).toMatchObject({ previous: 'connecting', next: 'failed' });
      await advance(10 * 60_000);
      expect(sockets()).toHaveLength(1);
      expect(provider).toHaveBeenCalledTimes(2);
    },
  );

  it.each([401, 403])('upgrade refused with %i and a string token → failed at once', async (status) => {
    const { client, log } = harness('tok');
    client.connect();
    await flush();
    lastSocket().refuseUpgrade(status);
    expect(client.state).toBe('failed');
    expect(log.reconnecting).toEqual([]);
    expect(log.state.at(-1)!.reason).toContain(String(status));
    await advance(10 * 60_000);
    expect(sockets()).toHaveLength(1);
  });

  it('upgrade refused with 403, the provider returning a different token → retries with it and opens', async () => {
    const tokens = ['stale', 'fresh'];
    const { client, log } = harness(() => tokens.shift() ?? 'none');
    client.connect();
    await flush();
    expect(lastSocket().token).toBe('stale');
    lastSocket().refuseUpgrade(403);
    const second = await nextSocket(log);
    expect(second.token).toBe('fresh');
    second.welcome();
    expect(client.state).toBe('open');
  });

  it('queued publishes and pending subscribes settle when a refused token ends in failed', async () => {
    const { client } = harness('tok');
    const published = client.publish('alpha', 1);
    const subscribed = client.subscribe('alpha');
    client.connect();
    await flush();
    lastSocket().refuseUpgrade(401);
    await expect(published).resolves.toMatchObject({ ok: false, code: 'auth_refused' });
    await expect(subscribed).resolves.toMatchObject({ ok: false, code: 'auth_refused' });
  });

  it('the token provider is asked before every connect', async () => {
    let n = 0;
    const provider = vi.fn(() => Promise.resolve(`t${++n}`));
    const { client, log } = harness(provider);
    const first = await openClient(client);
    expect(first.token).toBe('t1');
    first.serverClose(1006);
    const second = await nextSocket(log);
    expect(second.token).toBe('t2');
    second.serverClose(1006);
    const third = await nextSocket(log);
    expect(third.token).toBe('t3');
    expect(provider).toHaveBeenCalledTimes(3);
  });

  it('a failing token provider reports an error and retries with backoff', async () => {
    let calls = 0;
    const provider = vi.fn(() => {
      calls++;
      if (calls === 1) return Promise.reject(new Error('vault unreachable'));
      return Promise.resolve('ok-token');
    });
    const { client, log } = harness(provider);
    client.connect();
    await flush();
    expect(sockets()).toHaveLength(0);
    expect(client.state).toBe('reconnecting');
    expect(log.error.at(-1)!.message).toContain('vault unreachable');
    const socket = await nextSocket(log);
    expect(socket.token).toBe('ok-token');
  });

  it('refreshes a token in band shortly before its exp, with the provider, and again after refreshed', async () => {
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
    const nowSeconds = Date.now() / 1000;
    const [first, second, third] = [fakeJwt(nowSeconds + 60), fakeJwt(nowSeconds + 120), fakeJwt(nowSeconds + 180)];
    const tokens = [first, second, third];
    const provider = vi.fn(() => tokens.shift() ?? 'none');
    const { client } = harness(provider, { refreshMarginMs: 10_000, pingIntervalMs: 10 * 60_000 });
    const socket = await openClient(client);
    expect(socket.token).toBe(first);
    await advance(49_999);
    expect(socket.actions('refresh')).toEqual([]);
    await advance(1);
    expect(socket.actions('refresh')).toHaveLength(1);
    const refresh = socket.actions('refresh')[0]!;
    expect(refresh.token).toBe(second);
    socket.deliver({ type: 'refreshed', id: refresh.id, exp: nowSeconds + 120 });
    // The next refresh is 10 s before the second token's exp: at 110 s.
    await advance(59_999);
    expect(socket.actions('refresh')).toHaveLength(1);
    await advance(1);
    expect(socket.actions('refresh').map((f) => f.token)).toEqual([second, third]);
    expect(client.state).toBe('open');
    expect(sockets()).toHaveLength(1);
  });

  it('never refreshes a plain string token', async () => {
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
    const { client } = harness(fakeJwt(Date.now() / 1000 + 60), { pingIntervalMs: 10 * 60_000 });
    const socket = await openClient(client);
    await advance(120_000);
    expect(socket.actions('refresh')).toEqual([]);
  });
});

describe('tokens: refresh answered with an error', () => {
  it('a refresh dropped as rate_limited is sent again after 5 s; one refused as forbidden is not', async () => {
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
    const nowSeconds = Date.now() / 1000;
    const tokens = [fakeJwt(nowSeconds + 60), fakeJwt(nowSeconds + 120), fakeJwt(nowSeconds + 180)];
    const provider = vi.fn(() => tokens.shift() ?? 'none');
    const { client } = harness(provider, { refreshMarginMs: 10_000, pingIntervalMs: 10 * 60_000 });
    const socket = await openClient(client);
    await advance(50_000);
    const [refresh] = socket.actions('refresh');
    socket.deliver({ type: 'error', id: refresh!.id, code: 'rate_limited', message: 'slow down' });
    await advance(4_999);
    expect(socket.actions('refresh')).toHaveLength(1);
    await advance(1);
    const again = socket.actions('refresh')[1]!;
    expect(again.id).not.toBe(refresh!.id);
    socket.deliver({ type: 'error', id: again.id, code: 'forbidden', message: 'refresh refused' });
    await advance(20_000);
    expect(socket.actions('refresh')).toHaveLength(2);
    expect(client.state).toBe('open');
  });
});
