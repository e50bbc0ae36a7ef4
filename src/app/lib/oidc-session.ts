/**
 * The life of a sign-in with the identity provider, apart from any protocol or page: it holds the
 * tokens, renews the access token a little before it expires, and says when the session ends.
 * The open connection is never touched from here: the client library asks the page's token
 * provider shortly before the connection's token expires, and gets the renewed token from
 * `accessToken()` (which waits for a renewal that is under way or due), then hands it to the
 * server in band (`refresh`) — so a renewal never costs a reconnect.
 *
 *   (none) ── start(tokens) ──▶ waiting ── renewal time ──▶ renewing ── renewed ──▶ waiting
 *   renewing ── failed (network, provider down) ──▶ waiting (again in RENEW_RETRY_MS)
 *   renewing ── refused (RenewalRefused) ──▶ (none), onChange('ended')
 *   any ── end() (sign out) ──▶ (none)
 *
 * Renewal comes RENEW_MARGIN_MS before `exp`, or a third of the remaining lifetime before it for
 * short-lived tokens: always before the client library asks (it asks at most 30 s, or a quarter
 * of the remaining lifetime, before `exp`), so the new token is ready when it is needed.
 */

/** What the provider handed out, and when the access token stops working. */
export interface ProviderTokens {
  readonly accessToken: string;
  readonly refreshToken?: string;
  readonly idToken?: string;
  /** The provider's name for the person (from the ID token at sign-in). */
  readonly displayName?: string;
  readonly issuedAtMs: number;
  /** undefined when the provider did not say: never renewed ahead then. */
  readonly expiresAtMs: number | undefined;
}

/** The provider will not renew this session (refresh token refused, expired or never given). */
export class RenewalRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RenewalRefused';
  }
}

/** Renew this long before the access token expires (less for short-lived tokens). */
export const RENEW_MARGIN_MS = 60_000;
/** A renewal that failed for a passing reason (network, provider restarting) is tried again after this long. */
export const RENEW_RETRY_MS = 5_000;

/** How long from `nowMs` until a token expiring at `expiresAtMs` is renewed (0 when due). */
export function renewalDelayMs(expiresAtMs: number, nowMs: number): number {
  const remainingMs = expiresAtMs - nowMs;
  return Math.max(0, remainingMs - Math.min(RENEW_MARGIN_MS, remainingMs / 3));
}

export type SessionChange =
  | { readonly kind: 'started' | 'renewed'; readonly tokens: ProviderTokens }
  | { readonly kind: 'ended'; readonly reason: string };

export interface ProviderSessionOptions {
  /** Asks the provider for new tokens; throws RenewalRefused when it says no for good. */
  readonly renew: (tokens: ProviderTokens) => Promise<ProviderTokens>;
  /** Every start, renewal and end (not `end()`, which the caller does itself). */
  readonly onChange: (change: SessionChange) => void;
  readonly now?: () => number;
}

export class ProviderSession {
  readonly #options: ProviderSessionOptions;
  readonly #now: () => number;
  #tokens: ProviderTokens | undefined;
  #renewAtMs: number | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #renewing: Promise<void> | undefined;
  /** Bumped by start() and end(): a renewal that comes back for an older session is dropped. */
  #generation = 0;

  constructor(options: ProviderSessionOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  get tokens(): ProviderTokens | undefined {
    return this.#tokens;
  }

  /** When the next renewal is planned (ms since the epoch), for tests and the curious. */
  get renewAtMs(): number | undefined {
    return this.#renewAtMs;
  }

  /** A sign-in completed, or this tab's session was picked up again after a reload. */
  start(tokens: ProviderTokens): void {
    this.#generation += 1;
    this.#renewing = undefined;
    this.#set(tokens);
    this.#options.onChange({ kind: 'started', tokens });
  }

  /**
   * The access token to use now: after the renewal that is under way or due; undefined when
   * signed out, or when the token has expired and could not be renewed.
   */
  async accessToken(): Promise<string | undefined> {
    if (!this.#tokens) return undefined;
    if (this.#renewing) await this.#renewing;
    else if (this.#renewAtMs !== undefined && this.#now() >= this.#renewAtMs) await this.#renew();
    const tokens = this.#tokens;
    if (!tokens) return undefined;
    return tokens.expiresAtMs !== undefined && this.#now() >= tokens.expiresAtMs ? undefined : tokens.accessToken;
  }

  /** Sign out: forgets the tokens and stops renewing. Returns what was held (to end it at the provider). */
  end(): ProviderTokens | undefined {
    const tokens = this.#tokens;
    this.#generation += 1;
    this.#clear();
    return tokens;
  }

  #set(tokens: ProviderTokens): void {
    this.#tokens = tokens;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#renewAtMs = undefined;
    if (tokens.expiresAtMs === undefined) return;
    this.#schedule(renewalDelayMs(tokens.expiresAtMs, this.#now()));
  }

  #schedule(delayMs: number): void {
    clearTimeout(this.#timer);
    this.#renewAtMs = this.#now() + delayMs;
    this.#timer = setTimeout(() => void this.#renew(), delayMs);
  }

  #clear(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#tokens = undefined;
    this.#renewAtMs = undefined;
    this.#renewing = undefined;
  }

  /** One renewal at a time: a second caller waits for the one under way. */
  #renew(): Promise<void> {
    this.#renewing ??= this.#renewOnce().finally(() => (this.#renewing = undefined));
    return this.#renewing;
  }

  async #renewOnce(): Promise<void> {
    const tokens = this.#tokens;
    if (!tokens) return;
    const generation = this.#generation;
    clearTimeout(this.#timer);
    try {
      const renewed = await this.#options.renew(tokens);
      if (generation !== this.#generation) return;
      this.#set(renewed);
      this.#options.onChange({ kind: 'renewed', tokens: renewed });
    } catch (error) {
      if (generation !== this.#generation) return;
      if (error instanceof RenewalRefused) {
        this.#generation += 1;
        this.#clear();
        this.#options.onChange({ kind: 'ended', reason: error.message });
      } else {
        this.#schedule(RENEW_RETRY_MS);
      }
    }
  }
}
