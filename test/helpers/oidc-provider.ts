/**
 * A real OpenID provider for the tests (the certified `oidc-provider` package, set up by
 * scripts/dev-oidc.mjs): a public client with PKCE, users in groups, RS256 JWT access tokens for
 * one audience, its login page, key rotation and a count of requests per path.
 *
 * In a vitest file:
 *   const idp = await startOidcProvider({ redirectUris: ['http://127.0.0.1:9/cb'] });
 *   // server env: NEXUS_JWKS_URL: idp.jwksUrl, NEXUS_JWT_ISSUER: idp.issuer, NEXUS_JWT_AUDIENCE: idp.audience
 *   const tokens = await signInAtProvider(idp, { user: 'alice', redirectUri: 'http://127.0.0.1:9/cb' });
 *   // tokens.access_token: a JWT with sub "alice", groups ["operator"]; refresh with refreshAtProvider
 *   await idp.rotateKey(); idp.requests('/jwks'); await idp.stop();
 *
 * In Playwright's global setup (or anywhere a separate process is better), the same provider as a
 * child process: `const idp = await spawnOidcProvider({ redirectUris: [...] })`, then `idp.pid`,
 * `await idp.rotateKey()`, `await idp.requests('/jwks')`, `await idp.stop()` (or kill `idp.pid`).
 * Its login page: a text box `login` (user name), `password` (anything) and a "Sign-in" button.
 *
 * Users (unless given): alice → group `operator`, bob → `admin`, carol → none (viewer),
 * dave → `staff` then `operator`. Access tokens carry `groups`, `realm_access.roles`
 * (Keycloak's shape) and `preferred_username`.
 */
import { fork } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import {
  startOidcProvider,
  type OidcProviderHandle,
  type OidcProviderOptions,
  type SigningAlg,
} from '../../scripts/dev-oidc.mjs';

export { DEFAULT_AUDIENCE, DEFAULT_CLIENT_ID, DEFAULT_USERS, newSigningKey } from '../../scripts/dev-oidc.mjs';
export { startOidcProvider, type OidcProviderHandle, type OidcProviderOptions, type SigningAlg };

const SCRIPT = fileURLToPath(new URL('../../scripts/dev-oidc.mjs', import.meta.url));

/** The provider in a child process (what Playwright's global setup wants). */
export interface SpawnedOidcProvider {
  readonly issuer: string;
  readonly jwksUrl: string;
  readonly port: number;
  readonly clientId: string;
  readonly audience: string;
  readonly pid: number;
  /** Restarts the provider's key set with a new signing key first; resolves with its kid. */
  rotateKey(): Promise<string>;
  requests(path: string): Promise<number>;
  stop(): Promise<void>;
}

interface ReadyMessage {
  readonly type: 'ready';
  readonly issuer: string;
  readonly jwksUrl: string;
  readonly port: number;
  readonly pid: number;
  readonly clientId: string;
  readonly audience: string;
}

/** Starts scripts/dev-oidc.mjs as a child process and waits (up to `timeoutMs`) until it listens. */
export async function spawnOidcProvider(
  options: Pick<
    OidcProviderOptions,
    'port' | 'redirectUris' | 'audience' | 'clientId' | 'accessTokenTtlSeconds' | 'alg'
  > & {
    readonly timeoutMs?: number;
  } = {},
): Promise<SpawnedOidcProvider> {
  const args = ['--port', String(options.port ?? 0)];
  for (const uri of options.redirectUris ?? []) args.push('--redirect-uri', uri);
  if (options.audience) args.push('--audience', options.audience);
  if (options.clientId) args.push('--client-id', options.clientId);
  if (options.accessTokenTtlSeconds) args.push('--access-token-ttl', String(options.accessTokenTtlSeconds));
  if (options.alg) args.push('--alg', options.alg);
  const child = fork(SCRIPT, args, { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
  const timeoutMs = options.timeoutMs ?? 15_000;
  const ready = await new Promise<ReadyMessage>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`oidc provider did not start within ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.on('message', (message: { type?: string }) => {
      if (message.type !== 'ready') return;
      clearTimeout(timer);
      resolve(message as ReadyMessage);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`oidc provider exited (code ${code}) before listening: ${stderr}`));
    });
  });
  const ask = <T>(request: object, answerType: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`oidc provider did not answer ${answerType}`)), 15_000);
      const onMessage = (message: { type?: string }) => {
        if (message.type !== answerType) return;
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(message as T);
      };
      child.on('message', onMessage);
      child.send(request);
    });
  return {
    issuer: ready.issuer,
    jwksUrl: ready.jwksUrl,
    port: ready.port,
    clientId: ready.clientId,
    audience: ready.audience,
    pid: ready.pid,
    rotateKey: async () => (await ask<{ kid: string }>({ type: 'rotate' }, 'rotated')).kid,
    requests: async (path) => (await ask<{ count: number }>({ type: 'requests', path }, 'requests')).count,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** The token endpoint's answer. */
export interface ProviderTokens {
  readonly access_token: string;
  readonly refresh_token?: string;
  readonly id_token?: string;
  readonly expires_in: number;
  readonly token_type: string;
  readonly scope?: string;
}

interface ProviderLike {
  readonly issuer: string;
  readonly clientId: string;
}

/**
 * Signs `user` in the way a browser does — authorization request with PKCE, the provider's login
 * form, the redirect back with a code — and exchanges the code for tokens.
 */
export async function signInAtProvider(
  idp: ProviderLike,
  options: { readonly user: string; readonly redirectUri: string; readonly scope?: string },
): Promise<ProviderTokens> {
  const cookies = new Map<string, string>();
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const state = randomBytes(8).toString('base64url');
  const auth = new URL(`${idp.issuer}/auth`);
  auth.search = new URLSearchParams({
    client_id: idp.clientId,
    response_type: 'code',
    scope: options.scope ?? 'openid profile',
    redirect_uri: options.redirectUri,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state,
  }).toString();

  let next: { url: string; init?: RequestInit } | undefined = { url: auth.href };
  for (let step = 0; next !== undefined; step++) {
    if (step > 12) throw new Error('sign-in at the provider did not finish in 12 steps');
    const res: Response = await fetch(next.url, {
      ...next.init,
      redirect: 'manual',
      headers: { ...(next.init?.headers as Record<string, string>), cookie: cookieHeader(cookies) },
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair?.indexOf('=') ?? -1;
      if (pair && eq > 0) cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    const location: string | null = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      const target: URL = new URL(location, next.url);
      if (target.href.startsWith(options.redirectUri)) {
        const error = target.searchParams.get('error');
        if (error)
          throw new Error(`provider refused the sign-in: ${error} ${target.searchParams.get('error_description')}`);
        if (target.searchParams.get('state') !== state) throw new Error('provider answered with another state');
        const code = target.searchParams.get('code');
        if (!code) throw new Error(`provider redirected without a code: ${target.href}`);
        return tokenRequest(idp, {
          grant_type: 'authorization_code',
          code,
          redirect_uri: options.redirectUri,
          code_verifier: verifier,
        });
      }
      next = { url: target.href };
      continue;
    }
    const html: string = await res.text();
    const action: string | undefined = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    if (res.status !== 200 || !action || !html.includes('name="login"')) {
      throw new Error(`unexpected answer from the provider (${res.status}): ${html.slice(0, 300)}`);
    }
    next = {
      url: new URL(action.replaceAll('&amp;', '&'), next.url).href,
      init: {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ prompt: 'login', login: options.user, password: 'any' }).toString(),
      },
    };
  }
  throw new Error('unreachable');
}

/** A renewed access token for the same sign-in (refresh-token grant). */
export function refreshAtProvider(idp: ProviderLike, refreshToken: string): Promise<ProviderTokens> {
  return tokenRequest(idp, { grant_type: 'refresh_token', refresh_token: refreshToken });
}

async function tokenRequest(idp: ProviderLike, params: Record<string, string>): Promise<ProviderTokens> {
  const res = await fetch(`${idp.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: idp.clientId, ...params }).toString(),
  });
  const body = (await res.json()) as ProviderTokens & { error?: string; error_description?: string };
  if (!res.ok) throw new Error(`token endpoint answered ${res.status}: ${body.error} ${body.error_description}`);
  return body;
}

function cookieHeader(cookies: Map<string, string>): string {
  return [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
}
