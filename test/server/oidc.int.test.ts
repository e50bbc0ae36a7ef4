/**
 * Tokens from an identity provider, against a real OpenID provider (oidc-provider, started by
 * test/helpers/oidc-provider.ts on a free loopback port) and a real in-process Nexus server:
 * a signed-in user connects with the role its group maps to; tokens from another issuer, for
 * another audience, unsigned, HMAC-signed with the provider's public key, expired, not yet valid,
 * pointing at other keys, or using an algorithm the key does not allow are refused; the in-band
 * refresh takes a renewed provider token for the same user only; HS256 keeps working beside it;
 * `/healthz` tells the page what sign-in to offer.
 * (Key rotation, the fetch rate limit and the provider down at start: oidc-keys.int.test.ts.)
 */
import { createHmac, createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { decodeJwt, decodeProtectedHeader, importJWK, SignJWT, type JWK, type JWTPayload } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clientPool, restJson } from '../helpers/assertions.js';
import {
  refreshAtProvider,
  signInAtProvider,
  startOidcProvider,
  type OidcProviderHandle,
} from '../helpers/oidc-provider.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { tokenFor } from '../helpers/tokens.js';
import { pollUntil } from '../helpers/raw.js';
import { TestClient } from '../helpers/ws-client.js';

const REDIRECT_URI = 'http://127.0.0.1:9/callback';
const pool = clientPool();
afterEach(() => pool.closeAll());

let idp: OidcProviderHandle;
beforeAll(async () => {
  idp = await startOidcProvider({ redirectUris: [REDIRECT_URI] });
});
afterAll(() => idp?.stop());

function providerEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    NEXUS_JWKS_URL: idp.jwksUrl,
    NEXUS_JWT_ISSUER: idp.issuer,
    NEXUS_JWT_AUDIENCE: idp.audience,
    NEXUS_ROLE_CLAIM: 'groups',
    ...extra,
  };
}

async function signIn(user: string) {
  return signInAtProvider(idp, { user, redirectUri: REDIRECT_URI });
}

/** Keys are fetched at start, in the background: waits until `/healthz` says they are held. */
async function waitForKeys(server: TestServer): Promise<void> {
  const held = await pollUntil(
    async () => ((await restJson(server.url, '/healthz')).body as { auth?: string }).auth === 'ok',
    15_000,
    50,
  );
  if (!held)
    throw new Error(
      `the server did not load the provider's keys: ${JSON.stringify((await restJson(server.url, '/healthz')).body)}`,
    );
}

function withToken(url: string, token: string): string {
  return `${url}?token=${encodeURIComponent(token)}`;
}

/** Claims a provider token would carry, valid for an hour. */
function goodClaims(extra: JWTPayload = {}): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return { iss: idp.issuer, aud: idp.audience, sub: 'forger', groups: ['admin'], iat: now, exp: now + 3600, ...extra };
}

/** A token signed with the provider's own private key (so only the claim under test is wrong). */
async function signedByProvider(claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  const jwk = idp.keys[0] as JWK;
  const key = await importJWK(jwk, 'RS256');
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: jwk.kid, ...header }).sign(key);
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

async function providerPublicJwk(): Promise<JWK> {
  const set = (await (await fetch(idp.jwksUrl)).json()) as { keys: JWK[] };
  const key = set.keys.find((k) => k.kid === idp.keys[0]!.kid);
  if (!key) throw new Error('the provider does not publish its signing key');
  return key;
}

describe('provider tokens beside HS256', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({
      env: providerEnv({ NEXUS_OIDC_ISSUER: 'http://127.0.0.1:9/idp', NEXUS_OIDC_CLIENT_ID: 'nexus-dashboard' }),
    });
    await waitForKeys(server);
  });
  afterAll(() => server?.close());

  it('a signed-in user connects as the role its group names (operator, admin, none → viewer, first match wins)', async () => {
    for (const [user, role] of [
      ['alice', 'operator'],
      ['bob', 'admin'],
      ['carol', 'viewer'],
      ['dave', 'operator'],
    ] as const) {
      const { access_token } = await signIn(user);
      const client = await pool.connect(server.wsUrl, access_token);
      expect(client.frames[0], user).toMatchObject({ type: 'connected', userId: user, role });
    }
  });

  it('a provider token works for REST (Authorization: Bearer) too', async () => {
    const { access_token } = await signIn('alice');
    expect((await restJson(server.url, '/api/tasks', { token: access_token })).status).toBe(200);
    expect((await restJson(server.url, '/api/tasks', { token: `${access_token}x` })).status).toBe(403);
  });

  it('HS256 tokens signed with NEXUS_JWT_SECRET keep working beside them', async () => {
    const client = await pool.connect(server.wsUrl, await tokenFor('hs-user', 'admin'));
    expect(client.frames[0]).toMatchObject({ type: 'connected', userId: 'hs-user', role: 'admin' });
  });

  it('/healthz says the keys are held and what sign-in the page offers', async () => {
    const health = await restJson(server.url, '/healthz');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({
      status: 'ok',
      auth: 'ok',
      oidc: { issuer: 'http://127.0.0.1:9/idp', clientId: 'nexus-dashboard' },
    });
    expect(health.body).not.toHaveProperty('devMode');
  });

  it('refuses (403) a token from another issuer: a real second provider, and the right key with another iss', async () => {
    const other = await startOidcProvider({ redirectUris: [REDIRECT_URI] });
    try {
      const { access_token } = await signInAtProvider(other, { user: 'bob', redirectUri: REDIRECT_URI });
      expect(decodeJwt(access_token).aud).toBe(idp.audience);
      expect(await TestClient.upgradeStatus(withToken(server.wsUrl, access_token))).toBe(403);
    } finally {
      await other.stop();
    }
    const forged = await signedByProvider(goodClaims({ iss: 'http://127.0.0.1:9/other' }));
    expect(await TestClient.upgradeStatus(withToken(server.wsUrl, forged))).toBe(403);
    // The same token with the right issuer passes: only the issuer was wrong.
    const genuine = await signedByProvider(goodClaims());
    expect(await TestClient.upgradeStatus(withToken(server.wsUrl, genuine))).toBe(101);
  });

  it('refuses (403) a token for another audience, or with none', async () => {
    for (const aud of ['urn:other', ['urn:other', 'urn:more'], undefined]) {
      const token = await signedByProvider(goodClaims({ aud }));
      expect(await TestClient.upgradeStatus(withToken(server.wsUrl, token)), JSON.stringify(aud)).toBe(403);
    }
  });

  it('refuses (403) expired and not-yet-valid tokens, and tokens without exp', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await signedByProvider(goodClaims({ iat: now - 7200, exp: now - 60 }));
    const notYet = await signedByProvider(goodClaims({ nbf: now + 600 }));
    const noExp = await signedByProvider(goodClaims({ exp: undefined }));
    for (const token of [expired, notYet, noExp]) {
      expect(await TestClient.upgradeStatus(withToken(server.wsUrl, token))).toBe(403);
    }
  });

  it('refuses (403) a real provider token once it has expired', async () => {
    const shortLived = await startOidcProvider({ redirectUris: [REDIRECT_URI], accessTokenTtlSeconds: 1 });
    const short = await startServer({
      env: {
        NEXUS_JWKS_URL: shortLived.jwksUrl,
        NEXUS_JWT_ISSUER: shortLived.issuer,
        NEXUS_JWT_AUDIENCE: shortLived.audience,
      },
    });
    try {
      const { access_token } = await signInAtProvider(shortLived, { user: 'alice', redirectUri: REDIRECT_URI });
      const exp = decodeJwt(access_token).exp!;
      await expect.poll(() => Date.now() > exp * 1000 + 50, { timeout: 10_000 }).toBe(true);
      expect(await TestClient.upgradeStatus(withToken(short.wsUrl, access_token))).toBe(403);
    } finally {
      await short.close();
      await shortLived.stop();
    }
  });

  it('refuses (403) alg "none", with or without a signature, whatever kid it names', async () => {
    const claims = base64url(goodClaims());
    const kid = idp.keys[0]!.kid;
    for (const header of [{ alg: 'none' }, { alg: 'none', kid }, { alg: 'None', kid }, { alg: 'NONE' }]) {
      for (const token of [`${base64url(header)}.${claims}.`, `${base64url(header)}.${claims}.c2ln`]) {
        expect(await TestClient.upgradeStatus(withToken(server.wsUrl, token)), JSON.stringify(header)).toBe(403);
      }
    }
  });

  it('refuses (403) an HMAC token whose "secret" is the provider’s public key (PEM, JWK, modulus)', async () => {
    const jwk = await providerPublicJwk();
    const pem = createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' })
      .export({ type: 'spki', format: 'pem' })
      .toString();
    const secrets = [pem, pem.trim(), JSON.stringify(jwk), Buffer.from(jwk.n!, 'base64url')];
    for (const alg of ['HS256', 'HS384', 'HS512'] as const) {
      const hash = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[alg];
      for (const secret of secrets) {
        const input = `${base64url({ alg, kid: jwk.kid, typ: 'JWT' })}.${base64url(goodClaims())}`;
        const token = `${input}.${createHmac(hash, secret).update(input).digest('base64url')}`;
        expect(await TestClient.upgradeStatus(withToken(server.wsUrl, token)), alg).toBe(403);
      }
    }
  });

  it('refuses (403) a token signed with another key, whether it names the provider’s kid, an unknown one, or carries its own (jwk, jku, x5u)', async () => {
    const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const publicJwk = attacker.publicKey.export({ format: 'jwk' });
    // A key set the attacker hopes Nexus will fetch: it counts requests.
    let attackerFetches = 0;
    const evil: Server = createServer((_req, res) => {
      attackerFetches++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [{ ...publicJwk, kid: 'evil', alg: 'RS256', use: 'sig' }] }));
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    const evilUrl = `http://127.0.0.1:${(evil.address() as { port: number }).port}/jwks`;
    try {
      const sign = (header: Record<string, unknown>) =>
        new SignJWT(goodClaims()).setProtectedHeader({ alg: 'RS256', ...header }).sign(attacker.privateKey);
      const tokens = [
        await sign({ kid: idp.keys[0]!.kid as string }),
        await sign({}),
        await sign({ kid: 'evil', jku: evilUrl }),
        await sign({ kid: 'evil', x5u: evilUrl }),
        await sign({ jwk: { ...publicJwk, alg: 'RS256' } }),
      ];
      for (const token of tokens) expect(await TestClient.upgradeStatus(withToken(server.wsUrl, token))).toBe(403);
      expect(attackerFetches).toBe(0);
    } finally {
      await new Promise((resolve) => evil.close(resolve));
    }
  });

  it('refuses (403) an algorithm the provider’s key does not allow (PS256 with its RS256 key)', async () => {
    const jwk = idp.keys[0] as JWK;
    const key = await importJWK({ ...jwk, alg: 'PS256' }, 'PS256');
    const token = await new SignJWT(goodClaims()).setProtectedHeader({ alg: 'PS256', kid: jwk.kid }).sign(key);
    expect(await TestClient.upgradeStatus(withToken(server.wsUrl, token))).toBe(403);
  });

  it('refuses (403) a provider token naming the reserved user "nexus" or no user at all', async () => {
    for (const sub of ['nexus', '', undefined, 'x'.repeat(257)]) {
      const token = await signedByProvider(goodClaims({ sub }));
      expect(await TestClient.upgradeStatus(withToken(server.wsUrl, token)), String(sub).slice(0, 10)).toBe(403);
    }
  });

  it('refresh: a renewed provider token for the same user is taken in-band; another user’s, or another role’s, is not', async () => {
    const signedIn = await signIn('alice');
    const client = await pool.connect(server.wsUrl, signedIn.access_token);
    expect(client.frames[0]).toMatchObject({ userId: 'alice', role: 'operator' });
    const renewed = await refreshAtProvider(idp, signedIn.refresh_token!);
    expect(decodeJwt(renewed.access_token).jti).not.toBe(decodeJwt(signedIn.access_token).jti);
    expect(await client.request({ action: 'refresh', token: renewed.access_token, id: 'r1' })).toEqual({
      type: 'refreshed',
      id: 'r1',
      exp: decodeJwt(renewed.access_token).exp,
    });
    const bob = await signIn('bob');
    expect(await client.request({ action: 'refresh', token: bob.access_token, id: 'r2' })).toMatchObject({
      type: 'error',
      code: 'forbidden',
      id: 'r2',
    });
    // alice, but as a viewer: a role change takes a new connection.
    const demoted = await signedByProvider(goodClaims({ sub: 'alice', groups: [] }));
    expect(await client.request({ action: 'refresh', token: demoted, id: 'r3' })).toMatchObject({
      type: 'error',
      code: 'forbidden',
      id: 'r3',
    });
    await client.assertAlive();
  });
});

describe('ES256 and EdDSA providers', () => {
  it('a provider signing with ES256, or with EdDSA (Ed25519), works the same way', async () => {
    for (const alg of ['ES256', 'EdDSA'] as const) {
      const other = await startOidcProvider({ redirectUris: [REDIRECT_URI], alg });
      const server = await startServer({
        env: {
          NEXUS_JWKS_URL: other.jwksUrl,
          NEXUS_JWT_ISSUER: other.issuer,
          NEXUS_JWT_AUDIENCE: other.audience,
          NEXUS_ROLE_CLAIM: 'groups',
        },
      });
      try {
        await waitForKeys(server);
        const { access_token } = await signInAtProvider(other, { user: 'bob', redirectUri: REDIRECT_URI });
        expect(decodeProtectedHeader(access_token).alg, alg).toBe(alg);
        const bob = await pool.connect(server.wsUrl, access_token);
        expect(bob.frames[0], alg).toMatchObject({ userId: 'bob', role: 'admin' });
        // The RS256 provider's tokens mean nothing here.
        expect(await TestClient.upgradeStatus(withToken(server.wsUrl, (await signIn('bob')).access_token))).toBe(403);
      } finally {
        await pool.closeAll();
        await server.close();
        await other.stop();
      }
    }
  });
});

describe('claims read where the provider puts them', () => {
  it('NEXUS_ROLE_CLAIM=realm_access.roles (Keycloak) and NEXUS_USER_CLAIM=preferred_username', async () => {
    const server = await startServer({
      env: providerEnv({ NEXUS_ROLE_CLAIM: 'realm_access.roles', NEXUS_USER_CLAIM: 'preferred_username' }),
    });
    try {
      const { access_token } = await signIn('bob');
      const bob = await pool.connect(server.wsUrl, access_token);
      expect(bob.frames[0]).toMatchObject({ userId: 'bob', role: 'admin' });
      const named = await signedByProvider(
        goodClaims({ sub: 'u-42', preferred_username: 'erin', realm_access: { roles: ['x', 'operator', 'admin'] } }),
      );
      const erin = await pool.connect(server.wsUrl, named);
      expect(erin.frames[0]).toMatchObject({ userId: 'erin', role: 'operator' });
      // A role claim of the wrong shape is no role: viewer.
      const odd = await signedByProvider(goodClaims({ preferred_username: 'odd', realm_access: 'admin' }));
      expect((await pool.connect(server.wsUrl, odd)).frames[0]).toMatchObject({ userId: 'odd', role: 'viewer' });
    } finally {
      await pool.closeAll();
      await server.close();
    }
  });

  it('a namespaced claim holding dots (https://…/roles) is read by its whole name', async () => {
    const claim = 'https://nexus.example.com/roles';
    const server = await startServer({ env: providerEnv({ NEXUS_ROLE_CLAIM: claim }) });
    try {
      const token = await signedByProvider(goodClaims({ sub: 'ns-user', [claim]: ['admin'] }));
      expect((await pool.connect(server.wsUrl, token)).frames[0]).toMatchObject({ userId: 'ns-user', role: 'admin' });
    } finally {
      await pool.closeAll();
      await server.close();
    }
  });
});

describe('provider only (no NEXUS_JWT_SECRET)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ env: providerEnv({ NEXUS_JWT_SECRET: undefined }) });
  });
  afterAll(() => server?.close());

  it('is production mode: provider tokens connect, HS256 tokens and the dev token route do not exist', async () => {
    expect(server.config.devMode).toBe(false);
    const { access_token } = await signIn('bob');
    await expect
      .poll(() => TestClient.upgradeStatus(withToken(server.wsUrl, access_token)), { timeout: 15_000 })
      .toBe(101);
    expect(await TestClient.upgradeStatus(withToken(server.wsUrl, await tokenFor('hs-user', 'admin')))).toBe(403);
    const dev = await restJson(server.url, '/api/dev/token', { method: 'POST', body: { userId: 'x', role: 'admin' } });
    expect(dev.status).toBe(404);
    const health = await restJson(server.url, '/healthz');
    expect(health.body).not.toHaveProperty('devMode');
    expect(health.body).not.toHaveProperty('oidc');
  });

  it('an HS256 token "signed" with the provider’s public key is refused here too', async () => {
    const jwk = await providerPublicJwk();
    const input = `${base64url({ alg: 'HS256', kid: jwk.kid })}.${base64url(goodClaims({ sub: randomUUID() }))}`;
    const token = `${input}.${createHmac('sha256', JSON.stringify(jwk)).update(input).digest('base64url')}`;
    expect(await TestClient.upgradeStatus(withToken(server.wsUrl, token))).toBe(403);
  });
});
