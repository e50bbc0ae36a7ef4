/**
 * The identity-provider part of the configuration: tokens verified with the provider's published
 * keys (NEXUS_JWKS_URL, NEXUS_JWT_ISSUER, NEXUS_JWT_AUDIENCE, NEXUS_ROLE_CLAIM, NEXUS_USER_CLAIM)
 * and the sign-in the dashboard offers (NEXUS_OIDC_ISSUER, NEXUS_OIDC_CLIENT_ID). Every mistake is
 * one line naming the variable; a setting that would have no effect is a mistake too.
 */

/** Tokens signed by an identity provider, checked against the keys it publishes. */
export interface IdentityProviderConfig {
  /** The provider's JWKS endpoint (http or https). */
  readonly jwksUrl: string;
  /** Required `iss`, when set. */
  readonly issuer: string | undefined;
  /** Accepted `aud` values (any one of them), when set. */
  readonly audience: readonly string[] | undefined;
  /** Where the role is read: a claim name, or a dotted path such as `realm_access.roles`. */
  readonly roleClaim: string;
  /** Where the user id is read (default `sub`). */
  readonly userClaim: string;
  /** HS256 tokens signed with NEXUS_JWT_SECRET are accepted beside the provider's (the secret is set). */
  readonly hs256: boolean;
}

/** What the dashboard offers as "Sign in": the provider's issuer (for discovery) and the page's client id. */
export interface OidcSignInConfig {
  readonly issuer: string;
  readonly clientId: string;
}

type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_ROLE_CLAIM = 'role';
export const DEFAULT_USER_CLAIM = 'sub';
const MAX_VALUE_LENGTH = 2048;
const CLAIM_PATH = /^[^\s]{1,256}$/;

const PROVIDER_SETTINGS = ['NEXUS_JWT_ISSUER', 'NEXUS_JWT_AUDIENCE', 'NEXUS_ROLE_CLAIM', 'NEXUS_USER_CLAIM'] as const;

/** Reads NEXUS_JWKS_URL and the settings that go with it; undefined when it is unset. */
export function readIdentityProvider(env: Env, problems: string[]): IdentityProviderConfig | undefined {
  const value = (name: string) => {
    const raw = env[name]?.trim();
    return raw === undefined || raw === '' ? undefined : raw;
  };
  const jwksUrl = value('NEXUS_JWKS_URL');
  if (jwksUrl === undefined) {
    for (const name of PROVIDER_SETTINGS) {
      if (value(name) !== undefined) problems.push(`${name}: only used with NEXUS_JWKS_URL, which is not set`);
    }
    return undefined;
  }
  if (!isHttpUrl(jwksUrl)) {
    problems.push(`NEXUS_JWKS_URL: must be an http:// or https:// URL (got "${truncate(jwksUrl)}")`);
  }
  const issuer = value('NEXUS_JWT_ISSUER');
  if (issuer !== undefined && issuer.length > MAX_VALUE_LENGTH) {
    problems.push(`NEXUS_JWT_ISSUER: longer than ${MAX_VALUE_LENGTH} characters`);
  }
  const audienceRaw = value('NEXUS_JWT_AUDIENCE');
  const audience = audienceRaw
    ?.split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  if (audienceRaw !== undefined && (audience?.length === 0 || audience?.some((a) => a.length > MAX_VALUE_LENGTH))) {
    problems.push(
      `NEXUS_JWT_AUDIENCE: must be one audience or a comma-separated list (got "${truncate(audienceRaw)}")`,
    );
  }
  const claim = (name: 'NEXUS_ROLE_CLAIM' | 'NEXUS_USER_CLAIM', fallback: string) => {
    const raw = value(name) ?? fallback;
    if (CLAIM_PATH.test(raw) && !raw.split('.').includes('')) return raw;
    problems.push(
      `${name}: must be a claim name or a dotted path such as realm_access.roles, without spaces (got "${truncate(raw)}")`,
    );
    return fallback;
  };
  return {
    jwksUrl,
    issuer,
    audience,
    roleClaim: claim('NEXUS_ROLE_CLAIM', DEFAULT_ROLE_CLAIM),
    userClaim: claim('NEXUS_USER_CLAIM', DEFAULT_USER_CLAIM),
    hs256: (env.NEXUS_JWT_SECRET ?? '') !== '',
  };
}

/** Reads NEXUS_OIDC_ISSUER and NEXUS_OIDC_CLIENT_ID (both or neither, and only beside NEXUS_JWKS_URL). */
export function readOidcSignIn(
  env: Env,
  provider: IdentityProviderConfig | undefined,
  problems: string[],
): OidcSignInConfig | undefined {
  const issuer = env.NEXUS_OIDC_ISSUER?.trim() || undefined;
  const clientId = env.NEXUS_OIDC_CLIENT_ID?.trim() || undefined;
  if (issuer === undefined && clientId === undefined) return undefined;
  const before = problems.length;
  if (issuer === undefined) problems.push('NEXUS_OIDC_ISSUER: must be set with NEXUS_OIDC_CLIENT_ID');
  else if (!isHttpUrl(issuer) || issuer.length > MAX_VALUE_LENGTH) {
    problems.push(
      `NEXUS_OIDC_ISSUER: must be the provider's http:// or https:// issuer URL (got "${truncate(issuer)}")`,
    );
  }
  if (clientId === undefined) problems.push('NEXUS_OIDC_CLIENT_ID: must be set with NEXUS_OIDC_ISSUER');
  else if (clientId.length > MAX_VALUE_LENGTH) {
    problems.push(`NEXUS_OIDC_CLIENT_ID: longer than ${MAX_VALUE_LENGTH} characters`);
  }
  if (provider === undefined) {
    problems.push(
      'NEXUS_OIDC_ISSUER: the server must also check the provider’s tokens: set NEXUS_JWKS_URL (and NEXUS_JWT_ISSUER, NEXUS_JWT_AUDIENCE)',
    );
  }
  return problems.length === before && issuer !== undefined && clientId !== undefined
    ? { issuer, clientId }
    : undefined;
}

function isHttpUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

function truncate(value: string): string {
  return value.length > 80 ? `${value.slice(0, 77)}...` : value;
}
