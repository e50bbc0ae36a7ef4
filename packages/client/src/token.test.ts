import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { signToken } from '../../../test/helpers/tokens.js';
import { refreshDelayMs, resolveToken, tokenExpirySeconds } from './token.js';

/** An unsigned JWT-shaped token with the given claims (base64url, no padding). */
function fakeJwt(claims: Record<string, unknown>): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}.signature`;
}

describe('resolveToken', () => {
  it('returns a string provider as is', async () => {
    await expect(resolveToken('abc')).resolves.toBe('abc');
  });

  it('calls a function provider every time (sync or async)', async () => {
    let n = 0;
    const sync = vi.fn(() => `sync-${++n}`);
    await expect(resolveToken(sync)).resolves.toBe('sync-1');
    await expect(resolveToken(sync)).resolves.toBe('sync-2');
    expect(sync).toHaveBeenCalledTimes(2);
    const asyncProvider = vi.fn(() => Promise.resolve('async-token'));
    await expect(resolveToken(asyncProvider)).resolves.toBe('async-token');
    expect(asyncProvider).toHaveBeenCalledTimes(1);
  });

  it('passes a provider failure on as a rejection', async () => {
    await expect(resolveToken(async () => Promise.reject(new Error('no token')))).rejects.toThrow('no token');
  });
});

describe('tokenExpirySeconds', () => {
  it('reads exp from a real signed JWT', async () => {
    const before = Math.floor(Date.now() / 1000);
    const token = await signToken({ userId: 'u', expiresInSeconds: 120 });
    const exp = tokenExpirySeconds(token);
    expect(exp).toBeGreaterThanOrEqual(before + 120);
    expect(exp).toBeLessThanOrEqual(before + 121);
  });

  it('decodes base64url payloads (with - and _) of any padding length', () => {
    // With these fillers the payload contains '-' ('>>>', 'x>>>') or '_' ('??>', '???') and has
    // every length modulo 4 (the others), so both the alphabet and the padding are exercised.
    for (const filler of ['>>>', 'x>>>', '??>', '???', '', 'a', 'ab']) {
      const token = fakeJwt({ exp: 1_900_000_000, filler });
      expect(tokenExpirySeconds(token)).toBe(1_900_000_000);
    }
    expect(fakeJwt({ exp: 1, filler: '>>>' }).split('.')[1]).toContain('-');
    expect(fakeJwt({ exp: 1, filler: '???' }).split('.')[1]).toContain('_');
  });

  it('is undefined without an exp claim, with a non-numeric exp, or for something that is not a JWT', async () => {
    expect(tokenExpirySeconds(await signToken({ userId: 'u' }))).toBeUndefined();
    expect(tokenExpirySeconds(fakeJwt({ exp: '1900000000' }))).toBeUndefined();
    expect(tokenExpirySeconds(fakeJwt({ exp: null }))).toBeUndefined();
    expect(tokenExpirySeconds('opaque-token')).toBeUndefined();
    expect(tokenExpirySeconds('a.%%%.c')).toBeUndefined();
    expect(tokenExpirySeconds('a.bm90IGpzb24.c')).toBeUndefined();
    expect(tokenExpirySeconds('')).toBeUndefined();
  });
});

describe('refreshDelayMs', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('refreshes marginMs before expiry for long-lived tokens', () => {
    const now = Date.now();
    const exp = now / 1000 + 3600;
    expect(refreshDelayMs(exp, now, 30_000)).toBe(3600_000 - 30_000);
  });

  it('refreshes a short-lived token a quarter of its remaining lifetime before expiry', () => {
    const now = Date.now();
    expect(refreshDelayMs(now / 1000 + 2, now, 30_000)).toBe(1500);
    expect(refreshDelayMs(now / 1000 + 60, now, 30_000)).toBe(45_000);
  });

  it('always refreshes before the expiry, and at once for a token already expired', () => {
    const now = Date.now();
    for (const seconds of [1, 2, 10, 100, 1000, 100_000]) {
      const delay = refreshDelayMs(now / 1000 + seconds, now, 30_000);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(seconds * 1000);
    }
    expect(refreshDelayMs(now / 1000 - 5, now, 30_000)).toBe(0);
    expect(refreshDelayMs(now / 1000, now, 30_000)).toBe(0);
  });
});
