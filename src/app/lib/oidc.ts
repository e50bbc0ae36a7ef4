/**
 * OpenID Connect for the page, done by oauth4webapi (no crypto of our own): discovery from the
 * issuer, the authorization-code flow with PKCE (RFC 7636) for a public client, the refresh-token
 * grant, revocation (RFC 7009) and RP-initiated logout. Nothing here keeps state between calls
 * but the provider's metadata; the session's lifecycle is oidc-session.ts, the page's glue sign-in.ts
 * (which loads this module only when the server offers a provider, so other pages never carry it).
 *
 * See https://github.com/panva/oauth4webapi/blob/main/examples/oauth.ts for the flow this follows.
 */
import * as oauth from 'oauth4webapi';
import { tokenClaims } from '@nexus-realtime/client';
import type { OidcOffer } from './health';
import { RenewalRefused, type ProviderTokens } from './oidc-session';

/**
 * `offline_access` asks for a refresh token, so the page renews the token without sending the
 * person away again; providers that hand refresh tokens out anyway ignore it.
 */
export const SIGN_IN_SCOPE = 'openid profile offline_access';

/** What the page keeps across the trip to the provider (a new verifier and state per sign-in). */
export interface PendingSignIn {
  readonly issuer: string;
  readonly clientId: string;
  readonly codeVerifier: string;
  readonly state: string;
  /** The address the person was on, restored when they come back. */
  readonly returnTo: string;
}

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Plain http is allowed only for a provider on this machine (local development and tests). */
function httpAllowed(issuer: URL): boolean {
  return issuer.protocol === 'http:' && LOOPBACK_HOSTS.has(issuer.hostname);
}

/** Where the provider sends the person back after signing in, and after signing out. */
export interface ReturnAddresses {
  readonly redirectUri: string;
  readonly postLogoutRedirectUri: string;
}

export class OidcClient {
  readonly #issuer: URL;
  readonly #client: oauth.Client;
  readonly #addresses: ReturnAddresses;
  readonly #http: { readonly [oauth.allowInsecureRequests]?: boolean };
  #metadata: Promise<oauth.AuthorizationServer> | undefined;

  constructor(
    readonly offer: OidcOffer,
    addresses: ReturnAddresses,
  ) {
    this.#issuer = new URL(offer.issuer);
    this.#client = { client_id: offer.clientId };
    this.#addresses = addresses;
    this.#http = httpAllowed(this.#issuer) ? { [oauth.allowInsecureRequests]: true } : {};
  }

  /** The provider's metadata (`/.well-known/openid-configuration`), asked once; a failure is asked again. */
  #server(): Promise<oauth.AuthorizationServer> {
    this.#metadata ??= oauth
      .discoveryRequest(this.#issuer, { ...this.#http, algorithm: 'oidc' })
      .then((response) => oauth.processDiscoveryResponse(this.#issuer, response))
      .catch((error: unknown) => {
        this.#metadata = undefined;
        throw error;
      });
    return this.#metadata;
  }

  /** The provider's sign-in address, and what to keep until the person comes back. */
  async authorizationUrl(returnTo: string): Promise<{ url: string; pending: PendingSignIn }> {
    const server = await this.#server();
    if (!server.authorization_endpoint) throw new Error('the provider has no authorization endpoint');
    const codeVerifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const url = new URL(server.authorization_endpoint);
    url.search = new URLSearchParams({
      client_id: this.#client.client_id,
      redirect_uri: this.#addresses.redirectUri,
      response_type: 'code',
      scope: SIGN_IN_SCOPE,
      code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
    }).toString();
    const { issuer, clientId } = this.offer;
    return { url: url.href, pending: { issuer, clientId, codeVerifier, state, returnTo } };
  }

  /** The person came back to `callbackUrl`: checks the answer and trades the code for tokens. */
  async exchangeCode(callbackUrl: URL, pending: PendingSignIn, nowMs: number): Promise<ProviderTokens> {
    const server = await this.#server();
    const params = oauth.validateAuthResponse(server, this.#client, callbackUrl, pending.state);
    const response = await oauth.authorizationCodeGrantRequest(
      server,
      this.#client,
      oauth.None(),
      params,
      this.#addresses.redirectUri,
      pending.codeVerifier,
      this.#http,
    );
    const result = await oauth.processAuthorizationCodeResponse(server, this.#client, response);
    const name = displayName(oauth.getValidatedIdTokenClaims(result)) ?? displayName(tokenClaims(result.access_token));
    return providerTokens(result, nowMs, name);
  }

  /** A new access token for `tokens`' refresh token; RenewalRefused when the provider says no. */
  async renew(tokens: ProviderTokens, nowMs: number): Promise<ProviderTokens> {
    if (!tokens.refreshToken) throw new RenewalRefused('the provider gave no refresh token');
    const server = await this.#server();
    try {
      const response = await oauth.refreshTokenGrantRequest(
        server,
        this.#client,
        oauth.None(),
        tokens.refreshToken,
        this.#http,
      );
      const result = await oauth.processRefreshTokenResponse(server, this.#client, response);
      const renewed = providerTokens(result, nowMs, tokens.displayName);
      // A provider that does not rotate refresh tokens keeps the old one (and the ID token) valid.
      return {
        ...renewed,
        refreshToken: renewed.refreshToken ?? tokens.refreshToken,
        idToken: renewed.idToken ?? tokens.idToken,
      };
    } catch (error) {
      if (error instanceof oauth.ResponseBodyError && error.error === 'invalid_grant') {
        throw new RenewalRefused(error.error_description ?? 'the provider refused to renew the sign-in');
      }
      throw error;
    }
  }

  /**
   * Ends the session at the provider: revokes the refresh token where the provider can, and returns
   * the provider's logout address (RP-initiated logout), or undefined when it has none.
   */
  async endSession(tokens: ProviderTokens | undefined): Promise<string | undefined> {
    const server = await this.#server();
    if (tokens?.refreshToken && server.revocation_endpoint) {
      await oauth
        .revocationRequest(server, this.#client, oauth.None(), tokens.refreshToken, this.#http)
        .then((response) => oauth.processRevocationResponse(response))
        .catch(() => undefined); // best effort: the logout below ends the session anyway
    }
    if (!server.end_session_endpoint) return undefined;
    const url = new URL(server.end_session_endpoint);
    url.searchParams.set('client_id', this.#client.client_id);
    url.searchParams.set('post_logout_redirect_uri', this.#addresses.postLogoutRedirectUri);
    if (tokens?.idToken) url.searchParams.set('id_token_hint', tokens.idToken);
    return url.href;
  }
}

/**
 * When the access token stops working: its own `exp` when it is a JWT (what Nexus checks), else
 * `expires_in` from the answer; undefined when neither says (then it is never renewed ahead).
 */
function expiresAtMs(result: oauth.TokenEndpointResponse, nowMs: number): number | undefined {
  const exp = tokenClaims(result.access_token).exp;
  if (typeof exp === 'number' && Number.isFinite(exp)) return exp * 1000;
  return typeof result.expires_in === 'number' ? nowMs + result.expires_in * 1000 : undefined;
}

function providerTokens(result: oauth.TokenEndpointResponse, nowMs: number, name: string | undefined): ProviderTokens {
  return {
    accessToken: result.access_token,
    ...(result.refresh_token ? { refreshToken: result.refresh_token } : {}),
    ...(result.id_token ? { idToken: result.id_token } : {}),
    ...(name ? { displayName: name } : {}),
    issuedAtMs: nowMs,
    expiresAtMs: expiresAtMs(result, nowMs),
  };
}

/**
 * The provider's name for the person, for display only: from the validated ID token, else from
 * the access token's claims (many providers put profile claims only there, or in userinfo). The
 * server's welcome gives the userId and role that count.
 */
function displayName(claims: Readonly<Record<string, unknown>> | undefined): string | undefined {
  for (const claim of ['name', 'preferred_username', 'email'] as const) {
    const value = claims?.[claim];
    if (typeof value === 'string' && value.trim()) return value.trim().slice(0, 128);
  }
  return undefined;
}
