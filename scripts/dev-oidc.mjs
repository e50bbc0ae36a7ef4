#!/usr/bin/env node
/**
 * A real OpenID provider (the certified `oidc-provider` package) on a loopback port, for the tests
 * and for trying "Sign in" locally. Not for production: its login page takes any password.
 *
 * What it offers:
 * - issuer `http://127.0.0.1:<port>`, discovery at `/.well-known/openid-configuration`, keys at
 *   `/jwks`; its login page (oidc-provider's development pages) asks a user name and a password
 *   (any password) and needs no consent step for the test client;
 * - one public client (no secret, authorization code with PKCE S256 only) whose redirect URIs the
 *   caller names; refresh tokens are issued to it so a page can renew its access token;
 * - access tokens as JWTs signed RS256 (or ES256 / EdDSA) for one audience (the resource
 *   indicator, by default `urn:nexus`; resource indicators are absolute URIs), carrying `groups`, a Keycloak-style `realm_access.roles` and
 *   `preferred_username` beside `sub`;
 * - users: `alice` (group `operator`), `bob` (group `admin`), `carol` (no group, so a viewer),
 *   `dave` (groups `staff` then `operator`) — or the caller's own;
 * - key rotation: `rotateKey()` restarts it on the same port and issuer with a new signing key
 *   first in its key set (the old ones kept unless asked otherwise);
 * - a count of requests per path (`requests('/jwks')`), to prove how often a client fetches keys.
 *
 * In a test process: `const idp = await startOidcProvider({ redirectUris: [...] })`, then
 * `idp.issuer`, `idp.jwksUrl`, `await idp.rotateKey()`, `await idp.stop()`.
 *
 * As a process (Playwright's global setup, or by hand):
 *   node scripts/dev-oidc.mjs [--port 0] [--redirect-uri http://127.0.0.1:8080/]... [--audience nexus]
 *     [--access-token-ttl 300] [--alg RS256]
 * prints one JSON line `{"issuer","jwksUrl","port","pid","clientId","audience"}` on stdout once it
 * listens, stops on SIGTERM/SIGINT. Started with an IPC channel (`child_process.fork`), it also
 * sends that object as `{type:"ready",...}` and answers `{type:"rotate"}` (→ `{type:"rotated"}`)
 * and `{type:"requests",path}` (→ `{type:"requests",path,count}`). test/helpers/oidc-provider.ts
 * wraps both ways with types.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import Provider from 'oidc-provider';

export const DEFAULT_CLIENT_ID = 'nexus-dashboard';
export const DEFAULT_AUDIENCE = 'urn:nexus';
/** The scope a Nexus access token carries for the audience (what the resource server grants). */
export const NEXUS_SCOPE = 'nexus';

/** @type {Record<string, { groups: string[], name?: string }>} */
export const DEFAULT_USERS = {
  alice: { groups: ['operator'], name: 'Alice Operator' },
  bob: { groups: ['admin'], name: 'Bob Admin' },
  carol: { groups: [], name: 'Carol Viewer' },
  dave: { groups: ['staff', 'operator'], name: 'Dave Staff' },
};

const ALGORITHMS = new Set(['RS256', 'ES256', 'EdDSA']);

/**
 * A new private signing key as a JWK (with `kid`, `alg`, `use`), for the provider's key set.
 * @param {string} [alg]
 */
export async function newSigningKey(alg = 'RS256') {
  const { privateKey } =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : alg === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('ed25519');
  return { ...privateKey.export({ format: 'jwk' }), kid: `k-${randomUUID()}`, alg, use: 'sig' };
}

/**
 * Starts the provider. See the top of this file.
 * @param {import('./dev-oidc.d.mts').OidcProviderOptions} [options]
 * @returns {Promise<import('./dev-oidc.d.mts').OidcProviderHandle>}
 */
export async function startOidcProvider(options = {}) {
  const alg = options.alg ?? 'RS256';
  if (!ALGORITHMS.has(alg)) throw new Error(`alg must be one of ${[...ALGORITHMS].join(', ')} (got ${alg})`);
  const host = '127.0.0.1';
  const clientId = options.clientId ?? DEFAULT_CLIENT_ID;
  const audience = options.audience ?? DEFAULT_AUDIENCE;
  const users = options.users ?? DEFAULT_USERS;
  const accessTokenTtlSeconds = options.accessTokenTtlSeconds ?? 300;
  const redirectUris = [...(options.redirectUris ?? ['http://127.0.0.1:8080/'])];
  // After sign-out the page may ask to come back to a redirect URI or to its origin's root.
  const postLogoutRedirectUris = [
    ...new Set(
      options.postLogoutRedirectUris ?? [...redirectUris, ...redirectUris.map((uri) => `${new URL(uri).origin}/`)],
    ),
  ];
  /** @type {Record<string, unknown>[]} private JWKs, the first one signs */
  let keys = options.keys ? [...options.keys] : [await newSigningKey(alg)];
  const cookieKeys = [randomUUID(), randomUUID()];
  const Adapter = memoryAdapter();
  /** @type {Map<string, number>} */
  const counts = new Map();

  // Bind the port first (0 = a free one): the issuer names it.
  const server = createServer();
  server.keepAliveTimeout = 1_000;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve(undefined);
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('oidc provider: no TCP address');
  const port = address.port;
  const issuer = `http://${host}:${port}`;

  const build = () => {
    const provider = new Provider(issuer, {
      clients: [
        {
          client_id: clientId,
          token_endpoint_auth_method: 'none',
          application_type: 'web',
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          redirect_uris: redirectUris,
          post_logout_redirect_uris: postLogoutRedirectUris,
          id_token_signed_response_alg: alg,
        },
      ],
      jwks: { keys },
      adapter: Adapter,
      cookies: { keys: cookieKeys },
      pkce: { required: () => true },
      scopes: ['openid', 'profile', 'offline_access', NEXUS_SCOPE],
      claims: { openid: ['sub'], profile: ['name', 'preferred_username', 'groups'] },
      ttl: {
        AccessToken: accessTokenTtlSeconds,
        AuthorizationCode: 60,
        IdToken: accessTokenTtlSeconds,
        Interaction: 600,
        Grant: 3600,
        Session: 3600,
        RefreshToken: 3600,
      },
      features: {
        devInteractions: { enabled: true },
        rpInitiatedLogout: { enabled: true },
        revocation: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => audience,
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx, resourceIndicator) => {
            if (resourceIndicator !== audience) throw new Provider.errors.InvalidTarget();
            return {
              scope: NEXUS_SCOPE,
              audience,
              accessTokenTTL: accessTokenTtlSeconds,
              accessTokenFormat: 'jwt',
              jwt: { sign: { alg } },
            };
          },
        },
      },
      // A first-party client: everything it asks is granted without a consent page.
      loadExistingGrant: async (ctx) => {
        const oidc = ctx.oidc;
        const grantId = oidc.result?.consent?.grantId ?? oidc.session?.grantIdFor(oidc.client.clientId);
        if (grantId) {
          const existing = await oidc.provider.Grant.find(grantId);
          if (existing) return existing;
        }
        const grant = new oidc.provider.Grant({ clientId: oidc.client.clientId, accountId: oidc.session.accountId });
        grant.addOIDCScope('openid profile offline_access');
        grant.addOIDCClaims(['sub', 'name', 'preferred_username', 'groups']);
        grant.addResourceScope(audience, NEXUS_SCOPE);
        await grant.save();
        return grant;
      },
      issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
      findAccount: async (_ctx, sub) => {
        const user = users[sub] ?? { groups: [] };
        return {
          accountId: sub,
          claims: async () => ({
            sub,
            preferred_username: sub,
            ...(user.name ? { name: user.name } : {}),
            groups: user.groups,
          }),
        };
      },
      extraTokenClaims: async (_ctx, token) => {
        if (token.kind !== 'AccessToken') return undefined;
        const user = users[token.accountId] ?? { groups: [] };
        return {
          preferred_username: token.accountId,
          groups: user.groups,
          realm_access: { roles: ['offline_access', 'uma_authorization', ...user.groups] },
        };
      },
      clientBasedCORS: (_ctx, origin, client) => client.redirectUris.some((uri) => URL.parse(uri)?.origin === origin),
      renderError: (ctx, out) => {
        ctx.type = 'json';
        ctx.body = out;
      },
    });
    return provider;
  };

  let provider = build();
  /** @type {ReturnType<Provider['callback']>} */
  let handle = provider.callback();
  server.on('request', (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    counts.set(path, (counts.get(path) ?? 0) + 1);
    handle(req, res);
  });

  let stopped = false;
  return {
    issuer,
    jwksUrl: `${issuer}/jwks`,
    port,
    clientId,
    audience,
    get keys() {
      return keys;
    },
    requests: (path) => counts.get(path) ?? 0,
    async rotateKey(rotation = {}) {
      const next = rotation.key ?? (await newSigningKey(rotation.alg ?? alg));
      keys = rotation.keepOld === false ? [next] : [next, ...keys];
      // A new provider with the new key set behind the same listener: the issuer and port stay,
      // sessions and refresh tokens live in the provider's in-memory store and stay too.
      provider = build();
      handle = provider.callback();
      return next;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await new Promise((resolve) => {
        server.close(() => resolve(undefined));
        server.closeAllConnections();
      });
    },
  };
}

/**
 * oidc-provider's storage adapter interface on one Map that outlives a provider instance, so a key rotation
 * (a new instance) keeps sessions, grants and refresh tokens. Entries expire as the provider asks.
 */
function memoryAdapter() {
  /** @type {Map<string, { payload: Record<string, any>, expiresAt: number }>} */
  const store = new Map();
  const get = (/** @type {string} */ key) => {
    const entry = store.get(key);
    if (entry && entry.expiresAt <= Date.now()) store.delete(key);
    return entry && entry.expiresAt > Date.now() ? entry.payload : undefined;
  };
  return class MapAdapter {
    /** @param {string} model */
    constructor(model) {
      this.model = model;
    }
    /** @param {string} id */
    key(id) {
      return `${this.model}:${id}`;
    }
    /** @param {string} id @param {Record<string, any>} payload @param {number} [expiresIn] */
    async upsert(id, payload, expiresIn) {
      const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Infinity;
      store.set(this.key(id), { payload, expiresAt });
      if (store.size % 1000 === 0) for (const key of [...store.keys()]) get(key); // drops expired entries
    }
    /** @param {string} id */
    async find(id) {
      return get(this.key(id));
    }
    /** @param {string} uid */
    async findByUid(uid) {
      for (const [key, { payload }] of store) {
        if (key.startsWith(`${this.model}:`) && payload.uid === uid) return get(key);
      }
      return undefined;
    }
    /** @param {string} userCode */
    async findByUserCode(userCode) {
      for (const [key, { payload }] of store) {
        if (key.startsWith(`${this.model}:`) && payload.userCode === userCode) return get(key);
      }
      return undefined;
    }
    /** @param {string} id */
    async consume(id) {
      const payload = get(this.key(id));
      if (payload) payload.consumed = Math.floor(Date.now() / 1000);
    }
    /** @param {string} id */
    async destroy(id) {
      store.delete(this.key(id));
    }
    /** @param {string} grantId */
    async revokeByGrantId(grantId) {
      for (const [key, { payload }] of store) if (payload.grantId === grantId) store.delete(key);
    }
  };
}

async function main() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      'redirect-uri': { type: 'string', multiple: true },
      audience: { type: 'string' },
      'client-id': { type: 'string' },
      'access-token-ttl': { type: 'string' },
      alg: { type: 'string' },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`--port: not a port (${values.port})`);
  const ttl = values['access-token-ttl'] === undefined ? undefined : Number(values['access-token-ttl']);
  if (ttl !== undefined && !(Number.isInteger(ttl) && ttl > 0))
    throw new Error('--access-token-ttl: whole seconds > 0');
  const idp = await startOidcProvider({
    port,
    ...(values['redirect-uri'] ? { redirectUris: values['redirect-uri'] } : {}),
    ...(values.audience ? { audience: values.audience } : {}),
    ...(values['client-id'] ? { clientId: values['client-id'] } : {}),
    ...(ttl === undefined ? {} : { accessTokenTtlSeconds: ttl }),
    ...(values.alg ? { alg: /** @type {'RS256'|'ES256'|'EdDSA'} */ (values.alg) } : {}),
  });
  const ready = {
    issuer: idp.issuer,
    jwksUrl: idp.jwksUrl,
    port: idp.port,
    pid: process.pid,
    clientId: idp.clientId,
    audience: idp.audience,
  };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
  if (process.send) {
    process.send({ type: 'ready', ...ready });
    process.on('message', (message) => {
      const msg = /** @type {{ type?: string, path?: string }} */ (message);
      if (msg.type === 'rotate') {
        void idp.rotateKey().then((key) => process.send?.({ type: 'rotated', kid: key.kid }));
      } else if (msg.type === 'requests' && typeof msg.path === 'string') {
        process.send?.({ type: 'requests', path: msg.path, count: idp.requests(msg.path) });
      }
    });
    // The parent gone (a crashed test runner) takes the provider with it.
    process.on('disconnect', () => void idp.stop().then(() => process.exit(0)));
  }
  const shutdown = () => void idp.stop().then(() => process.exit(0));
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error) => {
    process.stderr.write(`dev-oidc: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
