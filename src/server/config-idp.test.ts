import { describe, expect, it } from 'vitest';
import { claimAt, roleFrom } from './auth.js';
import { ConfigError, loadConfig } from './config.js';

const SECRET = 'a-production-secret-that-is-long-enough-0123456789';

function problems(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('identity-provider configuration', () => {
  it('reads the provider settings, with sub and role as the default claims', () => {
    const config = loadConfig({
      NEXUS_JWT_SECRET: SECRET,
      NEXUS_JWKS_URL: 'https://idp.example.com/realms/ops/protocol/openid-connect/certs',
      NEXUS_JWT_ISSUER: 'https://idp.example.com/realms/ops',
      NEXUS_JWT_AUDIENCE: 'nexus, nexus-api',
    });
    expect(config.identityProvider).toEqual({
      jwksUrl: 'https://idp.example.com/realms/ops/protocol/openid-connect/certs',
      issuer: 'https://idp.example.com/realms/ops',
      audience: ['nexus', 'nexus-api'],
      roleClaim: 'role',
      userClaim: 'sub',
      hs256: true,
    });
    expect(config.devMode).toBe(false);
    expect(config.oidcSignIn).toBeUndefined();
  });

  it('a provider without NEXUS_JWT_SECRET is production mode without HS256', () => {
    const config = loadConfig({ NEXUS_JWKS_URL: 'http://127.0.0.1:8081/jwks', NEXUS_ROLE_CLAIM: 'realm_access.roles' });
    expect(config.devMode).toBe(false);
    expect(config.identityProvider).toMatchObject({ hs256: false, roleClaim: 'realm_access.roles' });
    expect(loadConfig({}).identityProvider).toBeUndefined();
  });

  it('the dashboard sign-in needs the issuer, the client id and the provider keys', () => {
    const env = { NEXUS_JWKS_URL: 'https://idp.example.com/jwks', NEXUS_OIDC_ISSUER: 'https://idp.example.com' };
    expect(loadConfig({ ...env, NEXUS_OIDC_CLIENT_ID: 'nexus-dashboard' }).oidcSignIn).toEqual({
      issuer: 'https://idp.example.com',
      clientId: 'nexus-dashboard',
    });
    expect(problems(env)).toEqual(['NEXUS_OIDC_CLIENT_ID: must be set with NEXUS_OIDC_ISSUER']);
    expect(problems({ NEXUS_OIDC_ISSUER: 'https://idp.example.com', NEXUS_OIDC_CLIENT_ID: 'x' })).toEqual([
      expect.stringMatching(/^NEXUS_OIDC_ISSUER: .*set NEXUS_JWKS_URL/),
    ]);
    expect(problems({ ...env, NEXUS_OIDC_ISSUER: 'idp.example.com', NEXUS_OIDC_CLIENT_ID: 'x' })).toEqual([
      expect.stringMatching(/^NEXUS_OIDC_ISSUER: must be .*http/),
    ]);
  });

  it('a bad value stops the start with one line naming the variable', () => {
    expect(problems({ NEXUS_JWKS_URL: 'ftp://idp.example.com/jwks' })).toEqual([
      expect.stringMatching(/^NEXUS_JWKS_URL: must be an http/),
    ]);
    expect(problems({ NEXUS_JWKS_URL: 'not a url' })).toHaveLength(1);
    expect(problems({ NEXUS_JWKS_URL: 'https://idp/jwks', NEXUS_ROLE_CLAIM: 'realm_access..roles' })).toEqual([
      expect.stringMatching(/^NEXUS_ROLE_CLAIM: /),
    ]);
    expect(problems({ NEXUS_JWKS_URL: 'https://idp/jwks', NEXUS_USER_CLAIM: 'preferred username' })).toEqual([
      expect.stringMatching(/^NEXUS_USER_CLAIM: /),
    ]);
    expect(problems({ NEXUS_JWKS_URL: 'https://idp/jwks', NEXUS_JWT_AUDIENCE: ' , ' })).toEqual([
      expect.stringMatching(/^NEXUS_JWT_AUDIENCE: /),
    ]);
  });

  it('provider settings without NEXUS_JWKS_URL are a mistake, not silently ignored', () => {
    expect(problems({ NEXUS_JWT_SECRET: SECRET, NEXUS_JWT_ISSUER: 'https://idp', NEXUS_ROLE_CLAIM: 'groups' })).toEqual(
      [
        'NEXUS_JWT_ISSUER: only used with NEXUS_JWKS_URL, which is not set',
        'NEXUS_ROLE_CLAIM: only used with NEXUS_JWKS_URL, which is not set',
      ],
    );
  });
});

describe('claims', () => {
  const payload = {
    sub: 'u1',
    groups: ['staff', 'operator', 'admin'],
    realm_access: { roles: ['offline_access', 'admin'] },
    'https://nexus.example.com/roles': ['agent'],
    nested: { list: [{ role: 'admin' }] },
  };

  it('reads a claim by its name, or a dotted path through objects (own properties only)', () => {
    expect(claimAt(payload, 'sub')).toBe('u1');
    expect(claimAt(payload, 'realm_access.roles')).toEqual(['offline_access', 'admin']);
    expect(claimAt(payload, 'https://nexus.example.com/roles')).toEqual(['agent']);
    expect(claimAt(payload, 'realm_access.missing')).toBeUndefined();
    expect(claimAt(payload, 'nested.list.0.role')).toBeUndefined();
    expect(claimAt(payload, 'realm_access.constructor')).toBeUndefined();
    expect(claimAt(payload, '__proto__')).toBeUndefined();
  });

  it('the first value naming a Nexus role wins; anything else is viewer', () => {
    expect(roleFrom(['staff', 'operator', 'admin'])).toBe('operator');
    expect(roleFrom('admin')).toBe('admin');
    expect(roleFrom(['Admin', 'ADMIN', 'nexus-admins'])).toBe('viewer');
    expect(roleFrom(undefined)).toBe('viewer');
    expect(roleFrom({ admin: true })).toBe('viewer');
    expect(roleFrom([['admin']])).toBe('viewer');
  });
});
