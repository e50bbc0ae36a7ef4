import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createAuth } from './auth.js';

const SECRET = new TextEncoder().encode('s'.repeat(40));
const NOW = Math.floor(Date.now() / 1000);
const part = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** A token built by hand: any header, any payload (text or JSON), signed with `secret`. */
function token(payload: unknown, header: unknown = { alg: 'HS256', typ: 'JWT' }, secret: Uint8Array = SECRET): string {
  const input = `${part(header)}.${part(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

const good = { userId: 'alice', role: 'operator', iat: NOW, exp: NOW + 600 };

describe('HS256 tokens checked with node:crypto', () => {
  const auth = createAuth(SECRET);

  it('accepts a good token and reads its user and role', async () => {
    expect(await auth.verify(token(good))).toEqual({
      ok: true,
      principal: { userId: 'alice', role: 'operator', exp: NOW + 600 },
    });
    expect(await auth.verify(token({ sub: 'bob', exp: NOW + 60, nbf: NOW - 1 }))).toMatchObject({
      ok: true,
      principal: { userId: 'bob', role: 'viewer' },
    });
  });

  it('refuses a signature that is not exactly the one the secret gives', async () => {
    const genuine = token(good);
    const [header, payload, signature] = genuine.split('.') as [string, string, string];
    // The last of 43 characters carries 2 unused bits: a lenient decoder reads the next one the same.
    const last = signature.at(-1)!;
    const sibling = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const twin = sibling[sibling.indexOf(last) ^ 1]!;
    expect(Buffer.from(signature.slice(0, -1) + twin, 'base64url')).toEqual(Buffer.from(signature, 'base64url'));
    const variants = [
      token(good, undefined, new TextEncoder().encode('t'.repeat(40))),
      `${header}.${part({ ...good, role: 'admin' })}.${signature}`,
      `${header}.${payload}.${signature}=`,
      `${header}.${payload}.${signature.slice(0, -1)}${twin}`,
      `${header}.${payload}.`,
      `${header}.${payload}`,
      `${genuine}.${signature}`,
    ];
    for (const variant of variants)
      expect(await auth.verify(variant), variant).toMatchObject({ ok: false, reason: 'invalid' });
  });

  it('refuses other algorithms and critical header parameters', async () => {
    for (const header of [{ alg: 'none' }, { alg: 'HS512' }, { alg: 'HS256', crit: ['b64'], b64: false }]) {
      expect(await auth.verify(token(good, header)), JSON.stringify(header)).toMatchObject({
        ok: false,
        reason: 'invalid',
      });
    }
  });

  it('requires exp, a whole number later than now; honours nbf; iat must be a number', async () => {
    const verdict = async (claims: Record<string, unknown>) => auth.verify(token({ userId: 'c', ...claims }));
    expect(await verdict({})).toMatchObject({ ok: false, message: 'token has no exp claim: tokens must expire' });
    for (const exp of [NOW + 0.5, '9999999999', null]) {
      expect(await verdict({ exp }), String(exp)).toMatchObject({
        ok: false,
        message: 'exp claim must be a finite whole number of seconds',
      });
    }
    // 1e400 is Infinity once parsed: written into the JSON text by hand.
    const infinite = token(`{"userId":"c","exp":1e400}`);
    expect(await auth.verify(infinite)).toMatchObject({
      ok: false,
      message: 'exp claim must be a finite whole number of seconds',
    });
    for (const exp of [NOW, NOW - 60]) expect(await verdict({ exp })).toMatchObject({ ok: false, reason: 'expired' });
    expect(await verdict({ exp: NOW + 60, nbf: NOW + 30 })).toMatchObject({
      ok: false,
      message: 'token is not valid yet',
    });
    expect(await verdict({ exp: NOW + 60, nbf: 'soon' })).toMatchObject({ ok: false, reason: 'invalid' });
    expect(await verdict({ exp: NOW + 60, iat: 'now' })).toMatchObject({ ok: false, reason: 'invalid' });
  });

  it('refuses a payload that is not a JSON object', async () => {
    for (const payload of ['[1,2]', '"text"', '{not json', '']) {
      expect(await auth.verify(token(payload)), payload).toMatchObject({ ok: false, reason: 'invalid' });
    }
  });

  it('refuses HS256 when the server has no secret (identity provider tokens only)', async () => {
    expect(await createAuth(undefined).verify(token(good))).toMatchObject({ ok: false, reason: 'invalid' });
  });
});
