/**
 * The identity provider's keys, against a real OpenID provider (test/helpers/oidc-provider.ts) and
 * a real in-process Nexus server: the provider unreachable at start is not fatal, shows in
 * `/healthz` and recovers; a rotated signing key is picked up; a burst of 1,000 upgrades naming
 * unknown `kid`s makes at most one key fetch per 10 s (counted at the provider).
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { decodeProtectedHeader, SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { clientPool, restJson } from '../helpers/assertions.js';
import {
  signInAtProvider,
  spawnOidcProvider,
  startOidcProvider,
  type OidcProviderHandle,
} from '../helpers/oidc-provider.js';
import { pollUntil } from '../helpers/raw.js';
import { freePort } from '../helpers/redis.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { tokenFor } from '../helpers/tokens.js';
import { TestClient } from '../helpers/ws-client.js';

const REDIRECT_URI = 'http://127.0.0.1:9/callback';
/** The server's bound on key fetches: one per 10 s at most. */
const REFETCH_INTERVAL_MS = 10_000;

const pool = clientPool();
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await pool.closeAll();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function withToken(url: string, token: string): string {
  return `${url}?token=${encodeURIComponent(token)}`;
}

async function health(server: TestServer): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await restJson(server.url, '/healthz');
  return { status: res.status, body: res.body as Record<string, unknown> };
}

async function waitForKeys(server: TestServer, timeoutMs = 15_000): Promise<void> {
  if (!(await pollUntil(async () => (await health(server)).body.auth === 'ok', timeoutMs, 50))) {
    throw new Error(`keys not loaded within ${timeoutMs} ms: ${JSON.stringify((await health(server)).body)}`);
  }
}

/** An RS256 token for the provider's issuer and audience, signed with a key nobody published. */
async function unknownKidToken(issuer: string, audience: string): Promise<string> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ groups: ['admin'] })
    .setProtectedHeader({ alg: 'RS256', kid: `unknown-${randomUUID()}` })
    .setIssuer(issuer)
    .setAudience(audience)
    .setSubject('intruder')
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(privateKey);
}

async function startProvider(port = 0): Promise<OidcProviderHandle> {
  const idp = await startOidcProvider({ port, redirectUris: [REDIRECT_URI] });
  cleanups.push(() => idp.stop());
  return idp;
}

async function startNexus(env: Record<string, string | undefined>): Promise<TestServer> {
  const server = await startServer({ env: { NEXUS_ROLE_CLAIM: 'groups', ...env } });
  cleanups.push(() => server.close());
  return server;
}

describe('provider unreachable at start', () => {
  it('the server starts, /healthz says "no keys" (503), provider tokens get 503, HS256 still works; once the provider answers, all is well', async () => {
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    const audience = 'urn:nexus';
    const server = await startNexus({
      NEXUS_JWKS_URL: `${issuer}/jwks`,
      NEXUS_JWT_ISSUER: issuer,
      NEXUS_JWT_AUDIENCE: audience,
    });
    // Nothing listens on the port: the server started all the same, and says it has no keys.
    expect(await health(server)).toEqual({
      status: 503,
      body: expect.objectContaining({ status: 'degraded', auth: 'no keys' }) as unknown,
    });
    const early = await unknownKidToken(issuer, audience);
    expect(await TestClient.upgradeStatus(withToken(server.wsUrl, early))).toBe(503);
    expect((await restJson(server.url, '/api/tasks', { token: early })).status).toBe(503);
    const hs = await pool.connect(server.wsUrl, await tokenFor('hs-meanwhile', 'operator'));
    expect(hs.frames[0]).toMatchObject({ type: 'connected', role: 'operator' });

    const idp = await startProvider(port);
    await waitForKeys(server, 15_000);
    expect(await health(server)).toEqual({
      status: 200,
      body: expect.objectContaining({ status: 'ok', auth: 'ok' }) as unknown,
    });
    const { access_token } = await signInAtProvider(idp, { user: 'alice', redirectUri: REDIRECT_URI });
    const alice = await pool.connect(server.wsUrl, access_token);
    expect(alice.frames[0]).toMatchObject({ type: 'connected', userId: 'alice', role: 'operator' });
  });

  it('keys held survive the provider going away: its tokens still connect, /healthz stays ok', async () => {
    const idp = await startProvider();
    const server = await startNexus({
      NEXUS_JWKS_URL: idp.jwksUrl,
      NEXUS_JWT_ISSUER: idp.issuer,
      NEXUS_JWT_AUDIENCE: idp.audience,
    });
    await waitForKeys(server);
    const { access_token } = await signInAtProvider(idp, { user: 'bob', redirectUri: REDIRECT_URI });
    await idp.stop();
    const bob = await pool.connect(server.wsUrl, access_token);
    expect(bob.frames[0]).toMatchObject({ userId: 'bob', role: 'admin' });
    expect((await health(server)).body).toMatchObject({ status: 'ok', auth: 'ok' });
  });
});

describe('the provider as a child process (what Playwright starts)', () => {
  it('its tokens connect; rotateKey signs with a new kid; stop ends the process', async () => {
    const idp = await spawnOidcProvider({ redirectUris: [REDIRECT_URI], accessTokenTtlSeconds: 120 });
    cleanups.push(() => idp.stop());
    const server = await startNexus({
      NEXUS_JWKS_URL: idp.jwksUrl,
      NEXUS_JWT_ISSUER: idp.issuer,
      NEXUS_JWT_AUDIENCE: idp.audience,
    });
    await waitForKeys(server);
    const first = await signInAtProvider(idp, { user: 'bob', redirectUri: REDIRECT_URI });
    expect((await pool.connect(server.wsUrl, first.access_token)).frames[0]).toMatchObject({ role: 'admin' });
    const kid = await idp.rotateKey();
    const second = await signInAtProvider(idp, { user: 'bob', redirectUri: REDIRECT_URI });
    expect(decodeProtectedHeader(second.access_token).kid).toBe(kid);
    expect(kid).not.toBe(decodeProtectedHeader(first.access_token).kid);
    expect(await idp.requests('/jwks')).toBe(1);
    await idp.stop();
    expect(() => process.kill(idp.pid, 0)).toThrow();
  });
});

describe('key rotation and the fetch rate limit', () => {
  it(
    'unknown kids: no fetch within 10 s of the last; after that a burst of 1,000 makes exactly one, which brings the rotated key',
    { timeout: 45_000 },
    async () => {
      const idp = await startProvider();
      const startedAt = Date.now(); // the start's fetch began after this…
      const server = await startNexus({
        NEXUS_JWKS_URL: idp.jwksUrl,
        NEXUS_JWT_ISSUER: idp.issuer,
        NEXUS_JWT_AUDIENCE: idp.audience,
      });
      await waitForKeys(server);
      const loadedAt = Date.now(); // …and ended before this
      expect(idp.requests('/jwks')).toBe(1);
      const before = await signInAtProvider(idp, { user: 'alice', redirectUri: REDIRECT_URI });

      // The provider rotates: a new signing key first, the old one still published.
      const newKey = await idp.rotateKey();
      const after = await signInAtProvider(idp, { user: 'alice', redirectUri: REDIRECT_URI });
      expect(decodeProtectedHeader(after.access_token).kid).toBe(newKey.kid);

      // Within 10 s of the last fetch: unknown kids, the rotated one included, fetch nothing.
      const intruder = await unknownKidToken(idp.issuer, idp.audience);
      const early = await Promise.all(
        Array.from({ length: 200 }, () => TestClient.upgradeStatus(withToken(server.wsUrl, intruder))),
      );
      expect(new Set(early)).toEqual(new Set([403]));
      // (Checked only while surely inside the interval: a very slow machine may get past it.)
      if (Date.now() - startedAt < REFETCH_INTERVAL_MS - 1_000) {
        expect(await TestClient.upgradeStatus(withToken(server.wsUrl, after.access_token))).toBe(403);
        expect(idp.requests('/jwks')).toBe(1);
      }
      // A token of the old key still connects from the cache.
      await pool.connect(server.wsUrl, before.access_token);

      // Past the interval: 1,000 upgrades at once, each with its own unknown kid.
      await pollUntil(() => Date.now() - loadedAt > REFETCH_INTERVAL_MS + 250, REFETCH_INTERVAL_MS + 1_000, 100);
      const fetchesBefore = idp.requests('/jwks');
      const burstAt = Date.now();
      const burst = await Promise.all(
        Array.from({ length: 1000 }, (_, i) =>
          TestClient.upgradeStatus(
            withToken(server.wsUrl, i % 10 === 0 ? intruder : intruder.replace(/^[^.]+/, header(i))),
          ),
        ),
      );
      expect(new Set(burst)).toEqual(new Set([403]));
      // Exactly one fetch — or one more per further 10 s, should the burst itself last that long.
      const allowed = 1 + Math.floor((Date.now() - burstAt) / REFETCH_INTERVAL_MS);
      const fetched = idp.requests('/jwks') - fetchesBefore;
      expect(fetched).toBeGreaterThanOrEqual(1);
      expect(fetched).toBeLessThanOrEqual(allowed);
      // That one fetch brought the rotated key.
      const alice = await pool.connect(server.wsUrl, after.access_token);
      expect(alice.frames[0]).toMatchObject({ userId: 'alice', role: 'operator' });
      // And more unknown kids right after it fetch nothing more (still one per 10 s since the burst).
      await Promise.all(Array.from({ length: 200 }, () => TestClient.upgradeStatus(withToken(server.wsUrl, intruder))));
      expect(idp.requests('/jwks') - fetchesBefore).toBeLessThanOrEqual(
        1 + Math.floor((Date.now() - burstAt) / REFETCH_INTERVAL_MS),
      );
    },
  );
});

/** The base64url header of an RS256 token naming a fresh unknown kid (the signature will not match either). */
function header(i: number): string {
  return Buffer.from(JSON.stringify({ alg: 'RS256', kid: `burst-${i}-${randomUUID()}` })).toString('base64url');
}
