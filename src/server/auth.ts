/**
 * JWT verification and signing (jose). The only module that imports the JWT library; the
 * signature and time claims of HS256 tokens are checked by hs256.ts (node:crypto).
 *
 * Two kinds of token, told apart by their header's `alg` and never mixed:
 * - HS256, signed with NEXUS_JWT_SECRET. Claims: `userId` (or `sub`), `role` (missing or unknown =
 *   viewer).
 * - RS*, PS*, ES* or EdDSA, signed by an identity provider and checked against the keys it
 *   publishes (NEXUS_JWKS_URL), with its `iss` and `aud` when configured. The user id is read from
 *   NEXUS_USER_CLAIM (default `sub`), the role from NEXUS_ROLE_CLAIM: a claim name or dotted path
 *   (`groups`, `realm_access.roles`) whose first value naming a Nexus role wins, else viewer.
 * An HS256 token is never checked against the provider's keys (an HMAC "signed" with a public key
 * proves nothing), nor an asymmetric one against the secret; `none` and every other `alg` are
 * refused.
 *
 * Both kinds: `exp` is required, a finite whole number of seconds (a token that never expires is
 * refused, and `1e400` decodes to Infinity, which would be one); for agents `agent_id` (else the
 * userId) names the one agent the connection may speak for. The userId `nexus` belongs to the
 * server's own messages and is refused.
 *
 * The provider's keys are fetched at start (its being down is not fatal: provider tokens are
 * refused as "unavailable" until keys arrive, retried with a backoff up to 10 s), kept, fetched
 * again when a token names an unknown `kid` — at most once per 10 s however many such tokens come
 * — and refreshed in the background every 10 minutes (a failed refresh keeps the keys it had).
 */
import {
  createRemoteJWKSet,
  customFetch,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  SignJWT,
  type JWTVerifyOptions,
} from 'jose';
import { toRole, type Role } from '@nexus-realtime/client/protocol';
import { claimAt, invalid, principalOf, roleFrom, type VerifyResult } from './auth-claims.js';
import { hs256SignatureMatches, timeClaimsRefusal } from './hs256.js';

export {
  claimAt,
  refreshRefusal,
  roleFrom,
  SERVER_USER_ID,
  type Principal,
  type VerifyFailure,
  type VerifyResult,
} from './auth-claims.js';

/** `ok` once the identity provider's keys are held; `no keys` until then. */
export type ProviderKeysHealth = 'ok' | 'no keys';

export interface Auth {
  verify(token: string): Promise<VerifyResult>;
  /** Signs an HS256 token (dev token route, token CLI); throws when no secret was given. */
  sign(claims: { userId: string; role: Role; agentId?: string }, ttlSeconds: number): Promise<string>;
  /** The identity provider's keys; undefined when none is configured. */
  providerKeys(): ProviderKeysHealth | undefined;
  /** Stops the key set's timers. */
  close(): void;
}

/** Tokens from an identity provider (see the top of this file). */
export interface IdentityProviderOptions {
  readonly jwksUrl: string;
  readonly issuer?: string | undefined;
  readonly audience?: readonly string[] | undefined;
  /** Claim name or dotted path of the role (default `role`). */
  readonly roleClaim?: string;
  /** Claim name or dotted path of the user id (default `sub`). */
  readonly userClaim?: string;
  /** Smallest gap between two key fetches once keys are held (default 10 s). */
  readonly refetchIntervalMs?: number;
  /** Background refresh of the held keys (default 10 min). */
  readonly refreshIntervalMs?: number;
  /** Time allowed for one key fetch (default 5 s). */
  readonly fetchTimeoutMs?: number;
  /** Told when keys arrive and when a fetch fails (for the log). */
  readonly onKeysEvent?: (event: ProviderKeysEvent) => void;
}

export type ProviderKeysEvent =
  | { readonly type: 'loaded'; readonly keys: number }
  | { readonly type: 'failed'; readonly error: string; readonly retryInMs: number | undefined };

const HS_ALGORITHM = 'HS256';
/** Every asymmetric JWS algorithm jose verifies; a key set's key must also allow the one used. */
const PROVIDER_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;
const PROVIDER_ALGORITHM_SET: ReadonlySet<string> = new Set(PROVIDER_ALGORITHMS);
const DEFAULT_REFETCH_INTERVAL_MS = 10_000;
const DEFAULT_REFRESH_INTERVAL_MS = 10 * 60_000;
const DEFAULT_FETCH_TIMEOUT_MS = 5_000;
const FIRST_RETRY_MS = 500;

/**
 * `secret`: HS256 tokens are accepted (undefined: refused). `identityProvider`: tokens signed with
 * the provider's published keys are accepted too.
 */
export function createAuth(secret: Uint8Array | undefined, identityProvider?: IdentityProviderOptions): Auth {
  const keys = identityProvider ? new ProviderKeys(identityProvider) : undefined;
  const providerOptions: JWTVerifyOptions = {
    algorithms: [...PROVIDER_ALGORITHMS],
    requiredClaims: ['exp'],
    ...(identityProvider?.issuer === undefined ? {} : { issuer: identityProvider.issuer }),
    ...(identityProvider?.audience === undefined ? {} : { audience: [...identityProvider.audience] }),
  };
  const roleClaim = identityProvider?.roleClaim ?? 'role';
  const userClaim = identityProvider?.userClaim ?? 'sub';

  return {
    async verify(token) {
      let header: ReturnType<typeof decodeProtectedHeader>;
      try {
        header = decodeProtectedHeader(token);
      } catch {
        return invalid('invalid token');
      }
      const { alg } = header;
      try {
        if (alg === HS_ALGORITHM) {
          if (!secret) return invalid('HS256 tokens are not accepted: tokens come from the identity provider');
          // The signature and time claims checked synchronously, at a tenth of jose's cost (hs256.ts).
          // Nexus understands no critical header parameter, so a token naming any is not for it.
          if (header.crit !== undefined || !hs256SignatureMatches(token, secret)) return invalid('invalid token');
          const payload = decodeJwt(token);
          const refusal = timeClaimsRefusal(payload, Math.floor(Date.now() / 1000));
          if (refusal) return refusal;
          const userId = typeof payload.userId === 'string' ? payload.userId : payload.sub;
          return principalOf(payload, userId, toRole(payload.role));
        }
        if (keys && typeof alg === 'string' && PROVIDER_ALGORITHM_SET.has(alg)) {
          if (!keys.held()) {
            return { ok: false, reason: 'unavailable', message: "the identity provider's keys are not loaded yet" };
          }
          const { payload } = await jwtVerify(token, keys.getKey, providerOptions);
          return principalOf(payload, claimAt(payload, userClaim), roleFrom(claimAt(payload, roleClaim)));
        }
        return invalid(
          `tokens signed with ${typeof alg === 'string' ? `"${alg.slice(0, 20)}"` : 'no alg'} are not accepted`,
        );
      } catch (error) {
        return refusal(error);
      }
    },
    async sign({ userId, role, agentId }, ttlSeconds) {
      if (!secret) throw new Error('no NEXUS_JWT_SECRET: this server does not sign tokens');
      return new SignJWT({ userId, role, ...(agentId === undefined ? {} : { agent_id: agentId }) })
        .setProtectedHeader({ alg: HS_ALGORITHM })
        .setSubject(userId)
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
        .sign(secret);
    },
    providerKeys: () => (keys ? (keys.held() ? 'ok' : 'no keys') : undefined),
    close: () => keys?.close(),
  };
}

function refusal(error: unknown): VerifyResult {
  if (error instanceof errors.JWTExpired) return { ok: false, reason: 'expired', message: 'token expired' };
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'exp') {
      return invalid(
        error.reason === 'missing'
          ? 'token has no exp claim: tokens must expire'
          : 'exp claim must be a finite whole number of seconds',
      );
    }
    if (error.claim === 'iss') return invalid('token is from another issuer');
    if (error.claim === 'aud') return invalid('token is for another audience');
    if (error.claim === 'nbf') return invalid('token is not valid yet');
  }
  if (error instanceof errors.JWKSNoMatchingKey) return invalid("no key of the identity provider matches the token's");
  if (error instanceof KeysNotFetched) {
    return { ok: false, reason: 'unavailable', message: "the identity provider's keys could not be fetched" };
  }
  return invalid('invalid token');
}

/** A key fetch not attempted: the last one was too recent. */
class KeysNotFetched extends Error {}

/**
 * The identity provider's keys: jose's remote key set (cached without expiry, fetched again for
 * an unknown `kid` after its cooldown), behind a gate that lets at most one fetch through per
 * interval whatever asked for it (an unknown `kid`, a retry, the background refresh), so no
 * stream of tokens can make Nexus hammer the provider — also while it is down.
 */
class ProviderKeys {
  readonly getKey: ReturnType<typeof createRemoteJWKSet>;
  readonly #options: IdentityProviderOptions;
  readonly #refetchIntervalMs: number;
  #nextFetchAt = 0;
  #failures = 0;
  #held = false;
  #lastLoadFailed = false;
  #retryTimer: NodeJS.Timeout | undefined;
  readonly #refreshTimer: NodeJS.Timeout;
  #closed = false;

  constructor(options: IdentityProviderOptions) {
    this.#options = options;
    this.#refetchIntervalMs = options.refetchIntervalMs ?? DEFAULT_REFETCH_INTERVAL_MS;
    this.getKey = createRemoteJWKSet(new URL(options.jwksUrl), {
      cooldownDuration: this.#refetchIntervalMs,
      cacheMaxAge: Infinity,
      timeoutDuration: options.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS,
      [customFetch]: (url, init) => this.#fetch(url, init),
    });
    this.#refreshTimer = setInterval(() => void this.#load(), options.refreshIntervalMs ?? DEFAULT_REFRESH_INTERVAL_MS);
    this.#refreshTimer.unref();
    void this.#load();
  }

  /** True once keys have arrived (they are kept through later failed fetches). */
  held(): boolean {
    return this.#held;
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#refreshTimer);
    clearTimeout(this.#retryTimer);
  }

  async #fetch(url: string, init: RequestInit): Promise<Response> {
    const now = Date.now();
    if (this.#closed || now < this.#nextFetchAt)
      throw new KeysNotFetched('key fetch skipped: the last one is too recent');
    // The slot is taken before the request: concurrent callers wait for jose's one pending fetch.
    this.#nextFetchAt = now + this.#refetchIntervalMs;
    try {
      const response = await fetch(url, init);
      if (response.status === 200) this.#failures = 0;
      else this.#failed();
      return response;
    } catch (error) {
      this.#failed();
      throw error;
    }
  }

  /** After a failed request the next one may come sooner than the interval: 0.5 s, 1 s, … up to it. */
  #failed(): void {
    this.#failures++;
    const backoff = Math.min(this.#refetchIntervalMs, FIRST_RETRY_MS * 2 ** Math.min(this.#failures - 1, 20));
    this.#nextFetchAt = Date.now() + backoff;
  }

  async #load(): Promise<void> {
    if (this.#closed) return;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    try {
      await this.getKey.reload();
      const news = !this.#held || this.#lastLoadFailed;
      this.#held = true;
      this.#lastLoadFailed = false;
      if (news) this.#options.onKeysEvent?.({ type: 'loaded', keys: this.getKey.jwks()?.keys.length ?? 0 });
    } catch (error) {
      if (this.#closed) return;
      // Without keys, try again as soon as the gate allows; with keys, the next refresh will.
      const retryInMs = this.#held ? undefined : Math.max(this.#nextFetchAt - Date.now(), 50);
      if (!(error instanceof KeysNotFetched)) {
        this.#lastLoadFailed = true;
        this.#options.onKeysEvent?.({ type: 'failed', error: describe(error), retryInMs });
      }
      if (retryInMs !== undefined) {
        this.#retryTimer = setTimeout(() => void this.#load(), retryInMs);
        this.#retryTimer.unref();
      }
    }
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // fetch's "fetch failed" says why in its cause (ECONNREFUSED…), or in the cause's first error.
  const cause = (error as { cause?: { code?: unknown; message?: unknown; errors?: { code?: unknown }[] } }).cause;
  const why = cause?.code ?? cause?.errors?.[0]?.code ?? cause?.message;
  return typeof why === 'string' ? `${error.message} (${why})` : error.message;
}
