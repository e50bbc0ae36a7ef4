/**
 * The page's sign-in with the identity provider the server offers (`/healthz` says which):
 * "Sign in" goes to the provider (code flow with PKCE, oidc.ts), the person comes back to
 * `/auth/callback`, the code becomes tokens, and the session (oidc-session.ts) keeps the access
 * token fresh. The connection and REST ask `providerToken()` before anything else, so a signed-in
 * person is that user everywhere, in dev mode too.
 *
 * Where the tokens live: sessionStorage, not memory alone and never localStorage. sessionStorage
 * belongs to this tab and is gone when the tab closes; localStorage would hand the session to
 * every tab and keep it on disk with no end. Memory alone would protect nothing more — a script
 * injected into the page reads memory as easily, and can call the page's own functions — but it
 * would send the person through the provider again on every reload or copied-link open. The
 * PKCE verifier and state have to survive the trip to the provider, so they are there too, for
 * the one sign-in. Sign out forgets everything and revokes the refresh token at the provider.
 */
import { connectionStore } from '../store/connection-store';
import { signInStore } from '../store/sign-in-store';
import type { OidcOffer } from './health';
import type { OidcClient, PendingSignIn } from './oidc';
import { ProviderSession, type ProviderTokens, type SessionChange } from './oidc-session';
import { resolveAuthMode } from './server-hints';

/** Where the provider sends the person back: register `<origin>/auth/callback` as the client's redirect URI. */
export const CALLBACK_PATH = '/auth/callback';
const PENDING_KEY = 'nexus.oidc.pending';
const SESSION_KEY = 'nexus.oidc.session';

interface StoredSession {
  readonly issuer: string;
  readonly clientId: string;
  readonly tokens: ProviderTokens;
}

let client: Promise<OidcClient> | undefined;

/** The protocol side (oauth4webapi), loaded the first time it is needed: pages without a provider never fetch it. */
async function clientFor(offer: OidcOffer): Promise<OidcClient> {
  const current = await client?.catch(() => undefined);
  if (current?.offer.issuer === offer.issuer && current.offer.clientId === offer.clientId) return current;
  client = import('./oidc').then(
    ({ OidcClient }) =>
      new OidcClient(offer, {
        redirectUri: `${location.origin}${CALLBACK_PATH}`,
        postLogoutRedirectUri: `${location.origin}/`,
      }),
  );
  return client;
}

const session = new ProviderSession({
  renew: (tokens) => {
    const offer = signInStore.getState().offer;
    if (!offer) return Promise.reject(new Error('the server no longer offers the provider'));
    return clientFor(offer).then((oidc) => oidc.renew(tokens, Date.now()));
  },
  onChange: onSessionChange,
});

function onSessionChange(change: SessionChange): void {
  if (change.kind === 'ended') {
    save(SESSION_KEY, undefined);
    signInStore.setState({
      phase: 'signed-out',
      displayName: undefined,
      error: `Your sign-in could not be renewed (${change.reason}). Sign in again.`,
    });
    return;
  }
  const offer = signInStore.getState().offer;
  if (offer) save(SESSION_KEY, { issuer: offer.issuer, clientId: offer.clientId, tokens: change.tokens });
  signInStore.setState({ phase: 'signed-in', displayName: change.tokens.displayName, error: undefined });
}

let ready: Promise<void> | undefined;

/**
 * Once per page: finishes a sign-in the person comes back from, or picks up this tab's session.
 * While the server cannot be reached it is tried again on the next call.
 */
function prepare(): Promise<void> {
  ready ??= (async () => {
    try {
      await resolveAuthMode();
    } catch {
      ready = undefined;
      return;
    }
    const offer = signInStore.getState().offer;
    if (location.pathname === CALLBACK_PATH) return completeSignIn(offer);
    if (offer) restore(offer);
  })();
  return ready;
}

/** The signed-in person's access token (renewed when due); undefined when nobody signed in with the provider. */
export async function providerToken(): Promise<string | undefined> {
  await prepare();
  return session.accessToken();
}

/** "Sign in": off to the provider's login page; the person comes back to CALLBACK_PATH. */
export async function beginSignIn(): Promise<void> {
  const offer = signInStore.getState().offer;
  if (!offer) return;
  signInStore.setState({ phase: 'redirecting', error: undefined });
  try {
    const here = `${location.pathname}${location.search}${location.hash}`;
    const { url, pending } = await (
      await clientFor(offer)
    ).authorizationUrl(location.pathname === CALLBACK_PATH ? '/' : here);
    if (!save(PENDING_KEY, pending)) throw new Error('this browser keeps no session storage for the page');
    location.assign(url);
  } catch (error) {
    signInStore.setState({ phase: 'signed-out', error: `Signing in could not start: ${messageOf(error)}.` });
  }
}

/**
 * "Sign out": forgets the tokens, revokes the refresh token and returns the provider's logout
 * address (undefined when it has none). The caller closes the connection first.
 */
export async function endProviderSession(): Promise<string | undefined> {
  const tokens = session.end();
  save(SESSION_KEY, undefined);
  signInStore.setState({ phase: 'signed-out', displayName: undefined, error: undefined });
  connectionStore.setState({
    userId: undefined,
    role: undefined,
    needsToken: connectionStore.getState().authMode === 'production',
  });
  const offer = signInStore.getState().offer;
  if (!offer) return undefined;
  return clientFor(offer)
    .then((oidc) => oidc.endSession(tokens))
    .catch(() => undefined);
}

async function completeSignIn(offer: OidcOffer | undefined): Promise<void> {
  const callbackUrl = new URL(location.href);
  const pending = take<PendingSignIn>(PENDING_KEY);
  // The code is single-use: the address goes back to where the person was, so a reload does not replay it.
  history.replaceState(null, '', pending?.returnTo.startsWith('/') ? pending.returnTo : '/');
  dispatchEvent(new PopStateEvent('popstate'));
  if (!offer) return signInStore.setState({ error: 'This server no longer offers signing in with a provider.' });
  if (!pending || pending.issuer !== offer.issuer || pending.clientId !== offer.clientId) {
    return signInStore.setState({ error: 'The sign-in was not started from this tab. Sign in again.' });
  }
  signInStore.setState({ phase: 'completing', error: undefined });
  try {
    const oidc = await clientFor(offer);
    session.start(await oidc.exchangeCode(callbackUrl, pending, Date.now()));
  } catch (error) {
    signInStore.setState({ phase: 'signed-out', error: `The sign-in did not complete: ${messageOf(error)}.` });
  }
}

function restore(offer: OidcOffer): void {
  const stored = read<StoredSession>(SESSION_KEY);
  if (typeof stored?.tokens?.accessToken !== 'string') return;
  // A session from another provider or client (the server's settings changed) is not this one.
  if (stored.issuer === offer.issuer && stored.clientId === offer.clientId) session.start(stored.tokens);
  else save(SESSION_KEY, undefined);
}

/** The provider's own words when it refused (`error_description`, else `error`), else the error's message. */
function messageOf(error: unknown): string {
  const { error: code, error_description: description } = (error ?? {}) as Record<string, unknown>;
  if (typeof description === 'string' && description) return description;
  if (typeof code === 'string' && code) return code;
  return (error as Error)?.message ?? String(error);
}

function save(key: string, value: unknown): boolean {
  try {
    if (value === undefined) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, JSON.stringify(value));
    return true;
  } catch {
    return false; // storage unavailable (private mode): the session lasts as long as the page
  }
}

function read<T>(key: string): T | undefined {
  try {
    const text = sessionStorage.getItem(key);
    return text ? (JSON.parse(text) as T) : undefined;
  } catch {
    return undefined;
  }
}

function take<T>(key: string): T | undefined {
  const value = read<T>(key);
  save(key, undefined);
  return value;
}
