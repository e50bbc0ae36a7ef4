/** Types of scripts/dev-oidc.mjs (a real OpenID provider for tests and local sign-in). */

export type SigningAlg = 'RS256' | 'ES256' | 'EdDSA';

export interface TestUser {
  /** Group names, in order: they become `groups` and `realm_access.roles` in access tokens. */
  readonly groups: readonly string[];
  readonly name?: string;
}

export interface OidcProviderOptions {
  /** Loopback port; 0 (default) = a free one. */
  readonly port?: number;
  /** Where the test client may be sent back after sign-in (default `http://127.0.0.1:8080/`). */
  readonly redirectUris?: readonly string[];
  /** Where the client may be sent after sign-out (default: the redirect URIs and their origins' roots). */
  readonly postLogoutRedirectUris?: readonly string[];
  /** The public client's id (default `nexus-dashboard`). */
  readonly clientId?: string;
  /** The access tokens' `aud` (default `urn:nexus`; an absolute URI). */
  readonly audience?: string;
  readonly accessTokenTtlSeconds?: number;
  /** Signing algorithm of access tokens (default RS256). */
  readonly alg?: SigningAlg;
  /** Private JWKs to start with (the first signs); default one new key. */
  readonly keys?: readonly Record<string, unknown>[];
  readonly users?: Readonly<Record<string, TestUser>>;
}

export interface OidcProviderHandle {
  readonly issuer: string;
  readonly jwksUrl: string;
  readonly port: number;
  readonly clientId: string;
  readonly audience: string;
  /** The private JWKs, the signing one first. */
  readonly keys: readonly Record<string, unknown>[];
  /** Requests the provider has answered on `path` (e.g. `/jwks`) since it started. */
  requests(path: string): number;
  /** A new signing key first in the key set (old ones kept unless `keepOld: false`); the new key. */
  rotateKey(rotation?: {
    readonly keepOld?: boolean;
    readonly alg?: SigningAlg;
    readonly key?: Record<string, unknown>;
  }): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

export const DEFAULT_CLIENT_ID: string;
export const DEFAULT_AUDIENCE: string;
export const NEXUS_SCOPE: string;
export const DEFAULT_USERS: Readonly<Record<string, TestUser>>;
export function newSigningKey(alg?: SigningAlg): Promise<Record<string, unknown>>;
export function startOidcProvider(options?: OidcProviderOptions): Promise<OidcProviderHandle>;
