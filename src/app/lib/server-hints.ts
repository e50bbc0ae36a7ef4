/**
 * What the page learns about its server from `GET /healthz` (no token needed): whether it
 * answers at all, and whether it runs in dev mode (`"devMode": true`). The page asks the dev
 * token route only when the server says it exists, so production never sees a 404 probe. When
 * the server offers sign-in with an identity provider, the same answer names it (`"oidc"`).
 * Only Nexus's own JSON answer counts: a proxy's 502 page decides nothing.
 */
import { connectionStore } from '../store/connection-store';
import { signInStore } from '../store/sign-in-store';
import type { AuthMode } from './auth';
import { fetchHealth } from './health';

/** True when Nexus answered `/healthz` (200 or 503 alike: it is up), false otherwise. */
export async function serverAnswers(signal?: AbortSignal): Promise<boolean> {
  return (await fetchHealth(signal)) !== undefined;
}

let pending: Promise<AuthMode> | undefined;

/**
 * The server's auth mode, asked once and kept in the connection store. Rejects while the server
 * cannot be reached or answers something that is not Nexus's JSON (the caller retries later);
 * a known mode is never asked again.
 */
export function resolveAuthMode(): Promise<AuthMode> {
  const known = connectionStore.getState().authMode;
  if (known !== 'unknown') return Promise.resolve(known);
  pending ??= askServer().finally(() => (pending = undefined));
  return pending;
}

async function askServer(): Promise<AuthMode> {
  const health = await fetchHealth();
  if (!health) throw new Error('the server did not answer /healthz with its JSON yet');
  const mode: AuthMode = health.devMode ? 'dev' : 'production';
  signInStore.setState({ offer: health.oidc });
  connectionStore.setState({ authMode: mode });
  return mode;
}
