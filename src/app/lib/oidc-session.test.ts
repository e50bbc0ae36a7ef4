/**
 * The provider session's token lifecycle: renewal planned ahead of `exp`, one renewal at a time,
 * a passing failure tried again, a refusal ending the session, sign-out stopping everything — and,
 * with the real client library on an in-memory socket, the renewed token handed to the open
 * connection in band, with no second socket.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NexusWebSocket } from '@nexus-realtime/client';
import { FakeSocket } from '../../../packages/client/src/testing/fake-socket';
import {
  ProviderSession,
  RENEW_MARGIN_MS,
  RENEW_RETRY_MS,
  RenewalRefused,
  renewalDelayMs,
  type ProviderTokens,
  type SessionChange,
} from './oidc-session';

const T0 = Date.UTC(2026, 11, 7, 12, 0, 0);

/** An unsigned JWT with this `exp` (the page and the client read claims without verifying). */
function jwt(expSeconds: number, n: number): string {
  const encode = (value: unknown) => btoa(JSON.stringify(value)).replace(/=+$/, '');
  return `${encode({ alg: 'RS256' })}.${encode({ sub: 'alice', exp: expSeconds, n })}.sig`;
}

let issued = 0;
/** Tokens issued now, the access token living `lifetimeMs`. */
function tokensFor(lifetimeMs: number, refreshToken = `rt-${issued}`): ProviderTokens {
  issued += 1;
  const now = Date.now();
  const expiresAtMs = now + lifetimeMs;
  return { accessToken: jwt(expiresAtMs / 1000, issued), refreshToken, issuedAtMs: now, expiresAtMs };
}

function session(renew: (tokens: ProviderTokens) => Promise<ProviderTokens>) {
  const changes: SessionChange[] = [];
  const renewSpy = vi.fn(renew);
  const s = new ProviderSession({ renew: renewSpy, onChange: (change) => changes.push(change) });
  return { session: s, renew: renewSpy, changes };
}

const flush = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
});
afterEach(() => vi.useRealTimers());

describe('when a token is renewed', () => {
  it('a minute before exp, or a third of the remaining lifetime before it for short-lived tokens', () => {
    expect(renewalDelayMs(T0 + 3_600_000, T0)).toBe(3_600_000 - RENEW_MARGIN_MS);
    expect(renewalDelayMs(T0 + 30_000, T0)).toBe(20_000);
    expect(renewalDelayMs(T0 + 90_000, T0)).toBe(60_000);
    expect(renewalDelayMs(T0 - 1_000, T0)).toBe(0);
  });

  it('comes before the client library asks for a new token (at most 30 s, or a quarter of the rest, before exp)', () => {
    for (const lifetimeMs of [10_000, 30_000, 120_000, 300_000, 3_600_000]) {
      const clientAsksAtMs = lifetimeMs - Math.min(30_000, lifetimeMs / 4);
      expect(renewalDelayMs(T0 + lifetimeMs, T0), `${lifetimeMs} ms token`).toBeLessThan(clientAsksAtMs);
    }
  });
});

describe('the provider session', () => {
  it('renews on time, again and again, and hands out the newest token', async () => {
    const { session: s, renew, changes } = session(() => Promise.resolve(tokensFor(30_000)));
    const first = tokensFor(30_000);
    s.start(first);
    expect(s.renewAtMs).toBe(T0 + 20_000);
    expect(await s.accessToken()).toBe(first.accessToken);

    await vi.advanceTimersByTimeAsync(19_999);
    expect(renew).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(renew).toHaveBeenCalledExactlyOnceWith(first);
    const second = s.tokens!;
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(await s.accessToken()).toBe(second.accessToken);
    expect(s.renewAtMs).toBe(T0 + 20_000 + 20_000);

    await vi.advanceTimersByTimeAsync(20_000);
    expect(renew).toHaveBeenCalledTimes(2);
    expect(renew).toHaveBeenLastCalledWith(second);
    expect(changes.map((c) => c.kind)).toEqual(['started', 'renewed', 'renewed']);
  });

  it('a token asked for when its renewal is due waits for that renewal; callers share one', async () => {
    let answer: (tokens: ProviderTokens) => void = () => undefined;
    const { session: s, renew } = session(() => new Promise((resolve) => (answer = resolve)));
    s.start(tokensFor(3_600_000));
    // The tab slept through the timer: the clock moved on, the timer did not fire.
    vi.setSystemTime(T0 + 3_600_000 - 30_000);
    const asked = [s.accessToken(), s.accessToken()];
    await flush();
    expect(renew).toHaveBeenCalledOnce();
    const renewed = tokensFor(3_600_000);
    answer(renewed);
    expect(await Promise.all(asked)).toEqual([renewed.accessToken, renewed.accessToken]);
  });

  it('a renewal that fails for a passing reason is tried again; the old token is used meanwhile', async () => {
    const failing = vi.fn<() => Promise<ProviderTokens>>().mockRejectedValueOnce(new TypeError('Failed to fetch'));
    failing.mockImplementation(() => Promise.resolve(tokensFor(60_000)));
    const { session: s, renew, changes } = session(failing);
    const first = tokensFor(60_000);
    s.start(first);
    await vi.advanceTimersByTimeAsync(40_000);
    expect(renew).toHaveBeenCalledOnce();
    expect(s.tokens).toBe(first);
    expect(await s.accessToken()).toBe(first.accessToken);
    await vi.advanceTimersByTimeAsync(RENEW_RETRY_MS);
    expect(renew).toHaveBeenCalledTimes(2);
    expect(s.tokens).not.toBe(first);
    expect(changes.map((c) => c.kind)).toEqual(['started', 'renewed']);
  });

  it('a renewal the provider refuses ends the session: no token, no more renewals', async () => {
    const {
      session: s,
      renew,
      changes,
    } = session(() => Promise.reject(new RenewalRefused('grant request is invalid')));
    s.start(tokensFor(30_000));
    await vi.advanceTimersByTimeAsync(20_000);
    expect(changes.at(-1)).toEqual({ kind: 'ended', reason: 'grant request is invalid' });
    expect(s.tokens).toBeUndefined();
    expect(await s.accessToken()).toBeUndefined();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(renew).toHaveBeenCalledOnce();
  });

  it('an expired token is never handed out, even while renewal keeps failing', async () => {
    const { session: s } = session(() => Promise.reject(new TypeError('Failed to fetch')));
    s.start(tokensFor(30_000));
    await vi.advanceTimersByTimeAsync(29_000);
    expect(await s.accessToken()).toBeDefined();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await s.accessToken()).toBeUndefined();
  });

  it('sign-out stops renewing, and drops a renewal that comes back afterwards', async () => {
    let answer: (tokens: ProviderTokens) => void = () => undefined;
    const { session: s, renew, changes } = session(() => new Promise((resolve) => (answer = resolve)));
    const first = tokensFor(30_000);
    s.start(first);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(renew).toHaveBeenCalledOnce();
    expect(s.end()).toBe(first);
    answer(tokensFor(30_000));
    await flush();
    expect(s.tokens).toBeUndefined();
    expect(await s.accessToken()).toBeUndefined();
    expect(changes.map((c) => c.kind)).toEqual(['started']);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(renew).toHaveBeenCalledOnce();
  });

  it('sign-out before the renewal time: nothing is renewed at all', async () => {
    const { session: s, renew } = session(() => Promise.resolve(tokensFor(30_000)));
    s.start(tokensFor(30_000));
    s.end();
    await vi.advanceTimersByTimeAsync(600_000);
    expect(renew).not.toHaveBeenCalled();
  });
});

describe('with the client library', () => {
  beforeEach(() => FakeSocket.reset());

  it('the renewed token reaches the open connection in band (refresh), with no reconnect', async () => {
    const { session: s } = session(() => Promise.resolve(tokensFor(40_000)));
    const first = tokensFor(40_000);
    s.start(first);
    const provider = async () => (await s.accessToken()) ?? Promise.reject(new Error('signed out'));
    const client = new NexusWebSocket('ws://nexus.test/ws', provider, {
      WebSocket: FakeSocket,
      random: () => 0.5,
      pingIntervalMs: 10 * 60_000,
    });
    try {
      client.connect();
      await flush();
      const socket = FakeSocket.last;
      expect(socket.url).toContain(`token=${first.accessToken}`);
      socket.welcome();
      expect(client.state).toBe('open');

      // The session renews at 26.7 s; the client asks at 30 s (a quarter of 40 s before exp).
      await vi.advanceTimersByTimeAsync(30_000);
      await flush();
      const refreshes = socket.actions('refresh');
      expect(refreshes).toHaveLength(1);
      expect(refreshes[0]!.token).toBe(s.tokens!.accessToken);
      expect(refreshes[0]!.token).not.toBe(first.accessToken);
      socket.deliver({ type: 'refreshed', id: refreshes[0]!.id, exp: s.tokens!.expiresAtMs! / 1000 });

      // Past the first token's exp: still the one socket, still open.
      await vi.advanceTimersByTimeAsync(15_000);
      expect(FakeSocket.instances).toHaveLength(1);
      expect(client.state).toBe('open');
    } finally {
      client.disconnect();
    }
  });
});
