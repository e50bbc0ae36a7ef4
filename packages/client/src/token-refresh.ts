/**
 * The token of a connection. The provider is asked before every connect; a token the server
 * refused is remembered, so the provider returning it again ends the retries instead of looping.
 * On an open connection, a token from a provider function is refreshed in band shortly before its
 * `exp`: a `refresh` frame, and the new token counts only once the server answers `refreshed`.
 *
 * The in-band refresh is in one of these phases:
 *
 *   off ── start() (welcome) ──▶ scheduled ── timer ──▶ asking ──▶ sent ── refreshed ──▶ scheduled
 *   asking: the provider had nothing newer, or `sent` was dropped as rate_limited ──▶ scheduled (5 s)
 *   sent refused as forbidden ──▶ off (at `exp` the server closes with 4001, the reconnect asks again)
 *   any phase ── stop() (close, disconnect) ──▶ off
 */
import type { TerminalCode } from './close-decision.js';
import { ErrorCode } from './protocol/codes.js';
import { refreshDelayMs, resolveToken, tokenExpirySeconds, type TokenProvider } from './token.js';

/** A provider with nothing newer yet, or a refresh dropped unread, is asked again after this long. */
export const REFRESH_RETRY_MS = 5000;

export interface TokenRefreshOptions {
  readonly provider: TokenProvider;
  /** Refresh this long before `exp` (less for short-lived tokens). */
  readonly marginMs: number;
  readonly now: () => number;
  /** A new frame id starting with `prefix`. */
  readonly nextId: (prefix: string) => string;
  /** Sends the `refresh` frame. */
  readonly sendRefresh: (token: string, id: string) => void;
  /** The provider threw while refreshing; `message` says so. */
  readonly onProviderError: (message: string) => void;
}

type RefreshPhase =
  | { readonly name: 'off' }
  | { readonly name: 'scheduled'; readonly timer: ReturnType<typeof setTimeout> }
  | { readonly name: 'asking' }
  | { readonly name: 'sent'; readonly id: string; readonly token: string };

/** What an error event says when the token provider threw. */
export function providerFailure(error: unknown): string {
  return `token provider failed: ${(error as Error)?.message ?? error}`;
}

export class TokenRefresh {
  readonly #options: TokenRefreshOptions;
  /** The token the current (or last) connection was opened or refreshed with. */
  #token: string | undefined;
  /** The token the server refused last, and how a failure with it again is named. */
  #refused: { readonly token: string | undefined; readonly as: TerminalCode } | undefined;
  #phase: RefreshPhase = { name: 'off' };

  constructor(options: TokenRefreshOptions) {
    this.#options = options;
  }

  /** True when the provider is a function, which may return a new token. */
  get renewable(): boolean {
    return typeof this.#options.provider === 'function';
  }

  /** Asks the provider for the token of a new connection; throws what the provider throws. */
  forConnect(): Promise<string> {
    return resolveToken(this.#options.provider);
  }

  /** How to fail when `token` is the one the server refused last; undefined otherwise. */
  refusedAgain(token: string): TerminalCode | undefined {
    return this.#refused && token === this.#refused.token ? this.#refused.as : undefined;
  }

  /** A connection is being opened with `token`. */
  use(token: string): void {
    this.#token = token;
  }

  /** The server refused the current token: the same one again fails as `as`. */
  refuse(as: TerminalCode): void {
    this.#refused = { token: this.#token, as };
  }

  /** Forgets the refusal (`connect()`, or the server welcomed a connection). */
  forgiveRefusal(): void {
    this.#refused = undefined;
  }

  /** The connection is open: schedules the refresh before the token's `exp`. */
  start(): void {
    this.#schedule();
  }

  /** The connection ended: no refresh until the next `start()`. */
  stop(): void {
    this.#enter({ name: 'off' });
  }

  /** The server accepted a refresh (`refreshed`): the new token counts, the next one is scheduled. */
  onRefreshed(): void {
    if (this.#phase.name === 'sent') this.#token = this.#phase.token;
    this.#schedule();
  }

  /**
   * The server answered frame `id` with an error; true when it was the refresh. One dropped unread
   * (rate limited) is tried again shortly; one refused (`forbidden`) is not.
   */
  onRefused(id: string, code: string): boolean {
    if (this.#phase.name !== 'sent' || this.#phase.id !== id) return false;
    if (code === ErrorCode.RateLimited) this.#retryLater();
    else this.#enter({ name: 'off' });
    return true;
  }

  #enter(phase: RefreshPhase): void {
    if (this.#phase.name === 'scheduled') clearTimeout(this.#phase.timer);
    this.#phase = phase;
  }

  #schedule(): void {
    const exp = this.#token === undefined ? undefined : tokenExpirySeconds(this.#token);
    if (exp === undefined || !this.renewable) return this.#enter({ name: 'off' });
    const delayMs = refreshDelayMs(exp, this.#options.now(), this.#options.marginMs);
    this.#enter({ name: 'scheduled', timer: setTimeout(() => void this.#refresh(), delayMs) });
  }

  #retryLater(): void {
    this.#enter({ name: 'scheduled', timer: setTimeout(() => void this.#refresh(), REFRESH_RETRY_MS) });
  }

  async #refresh(): Promise<void> {
    const asking: RefreshPhase = { name: 'asking' };
    this.#enter(asking);
    let token: string;
    try {
      token = await resolveToken(this.#options.provider);
    } catch (error) {
      if (this.#phase === asking) this.#enter({ name: 'off' });
      return this.#options.onProviderError(providerFailure(error));
    }
    // The connection ended (or the phase moved on) while the provider was asked.
    if (this.#phase !== asking) return;
    // Nothing newer yet: ask again a little later, while the token is still valid.
    if (token === this.#token) return this.#retryLater();
    const id = this.#options.nextId('r');
    this.#enter({ name: 'sent', id, token });
    this.#options.sendRefresh(token, id);
  }
}
