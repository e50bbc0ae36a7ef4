// @vitest-environment happy-dom
/**
 * The page's side of the provider sign-in, with the protocol (oidc.ts) played by a fake: coming
 * back to /auth/callback trades the code once and puts the address back where the person was; a
 * callback this tab did not start is refused; a reload picks the tab's session up again (only for
 * the same provider and client); sign-out forgets the session and names the provider's logout.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ProviderTokens } from './oidc-session';

const OFFER = { issuer: 'https://id.example.com', clientId: 'nexus' };
const fake = vi.hoisted(() => ({
  exchangeCode: vi.fn(),
  endSession: vi.fn(),
  authorizationUrl: vi.fn(),
  renew: vi.fn(),
}));
vi.mock('./oidc', () => ({
  OidcClient: class {
    constructor(readonly offer: unknown) {}
    exchangeCode = fake.exchangeCode;
    endSession = fake.endSession;
    authorizationUrl = fake.authorizationUrl;
    renew = fake.renew;
  },
}));
// The server offers the provider (in the store instance the fresh modules of each test read).
vi.mock('./server-hints', () => ({
  resolveAuthMode: async () => {
    const { signInStore } = await import('../store/sign-in-store');
    const { connectionStore } = await import('../store/connection-store');
    signInStore.setState({ offer: OFFER });
    connectionStore.setState({ authMode: 'production' });
    return 'production';
  },
}));

function tokens(accessToken: string): ProviderTokens {
  return { accessToken, refreshToken: 'rt', issuedAtMs: Date.now(), expiresAtMs: Date.now() + 3_600_000 };
}

async function page(path: string) {
  history.replaceState(null, '', path);
  vi.resetModules();
  const signIn = await import('./sign-in');
  const { signInStore } = await import('../store/sign-in-store');
  return { ...signIn, signInStore };
}

const PENDING = { ...OFFER, codeVerifier: 'v', state: 's', returnTo: '/agents/agent_007?range=1h' };

beforeEach(() => {
  sessionStorage.clear();
  for (const fn of Object.values(fake)) fn.mockReset();
});
afterEach(() => history.replaceState(null, '', '/'));

describe('the page’s provider sign-in', () => {
  it('back from the provider: the code is traded once, the address goes back to where the person was', async () => {
    sessionStorage.setItem('nexus.oidc.pending', JSON.stringify(PENDING));
    fake.exchangeCode.mockResolvedValue({ ...tokens('at-1'), displayName: 'Alice Operator' });
    const popped = vi.fn();
    addEventListener('popstate', popped);
    const { providerToken, signInStore } = await page('/auth/callback?code=c1&state=s&iss=x');

    expect(await providerToken()).toBe('at-1');
    expect(fake.exchangeCode).toHaveBeenCalledOnce();
    expect((fake.exchangeCode.mock.calls[0]![0] as URL).searchParams.get('code')).toBe('c1');
    expect(fake.exchangeCode.mock.calls[0]![1]).toEqual(PENDING);
    expect(`${location.pathname}${location.search}`).toBe('/agents/agent_007?range=1h');
    expect(popped).toHaveBeenCalled();
    expect(signInStore.getState()).toMatchObject({ phase: 'signed-in', displayName: 'Alice Operator' });
    expect(sessionStorage.getItem('nexus.oidc.pending')).toBeNull();
    expect(JSON.parse(sessionStorage.getItem('nexus.oidc.session')!).tokens.accessToken).toBe('at-1');
    expect(await providerToken()).toBe('at-1');
    expect(fake.exchangeCode).toHaveBeenCalledOnce();
    removeEventListener('popstate', popped);
  });

  it('a callback this tab did not start is refused, and the code is never sent', async () => {
    const { providerToken, signInStore } = await page('/auth/callback?code=c1&state=s');
    expect(await providerToken()).toBeUndefined();
    expect(fake.exchangeCode).not.toHaveBeenCalled();
    expect(location.pathname).toBe('/');
    expect(signInStore.getState().error).toContain('not started from this tab');
  });

  it('the provider refusing the code leaves the person signed out, with its reason', async () => {
    sessionStorage.setItem('nexus.oidc.pending', JSON.stringify(PENDING));
    fake.exchangeCode.mockRejectedValue(
      Object.assign(new Error('server responded with an error'), {
        error: 'invalid_grant',
        error_description: 'grant request is invalid',
      }),
    );
    const { providerToken, signInStore } = await page('/auth/callback?code=c1&state=s');
    expect(await providerToken()).toBeUndefined();
    expect(signInStore.getState()).toMatchObject({ phase: 'signed-out' });
    expect(signInStore.getState().error).toContain('grant request is invalid');
  });

  it('a reload picks up this tab’s session — only for the same provider and client', async () => {
    sessionStorage.setItem('nexus.oidc.session', JSON.stringify({ ...OFFER, tokens: tokens('at-kept') }));
    expect(await (await page('/?range=1h')).providerToken()).toBe('at-kept');

    sessionStorage.setItem(
      'nexus.oidc.session',
      JSON.stringify({ issuer: 'https://other.example.com', clientId: 'nexus', tokens: tokens('at-other') }),
    );
    expect(await (await page('/')).providerToken()).toBeUndefined();
    expect(sessionStorage.getItem('nexus.oidc.session')).toBeNull();
  });

  it('sign-out forgets the session and returns the provider’s logout address', async () => {
    sessionStorage.setItem('nexus.oidc.session', JSON.stringify({ ...OFFER, tokens: tokens('at-kept') }));
    fake.endSession.mockResolvedValue('https://id.example.com/session/end');
    const { providerToken, endProviderSession, signInStore } = await page('/');
    expect(await providerToken()).toBe('at-kept');
    expect(await endProviderSession()).toBe('https://id.example.com/session/end');
    expect((fake.endSession.mock.calls[0]![0] as ProviderTokens).accessToken).toBe('at-kept');
    expect(await providerToken()).toBeUndefined();
    expect(sessionStorage.getItem('nexus.oidc.session')).toBeNull();
    expect(signInStore.getState().phase).toBe('signed-out');
  });
});
