/**
 * What the page learns about its server from `GET /healthz` (no token needed): whether it
 * answers at all, and whether it runs in dev mode (`"devMode": true`). The page asks the dev
 * token route only when the server says it exists, so production never sees a 404 probe.
 */
import { Paths } from '@nexus-realtime/client/protocol';
import { connectionStore } from '../store/connection-store';
import type { AuthMode } from './auth';

/** True when the server answered `/healthz` (200 or 503 alike: it is up), false otherwise. */
export async function serverAnswers(signal?: AbortSignal): Promise<boolean> {
  try {
    const res = await fetch(Paths.health, { cache: 'no-store', signal });
    return res.status > 0;
  } catch {
    return false;
  }
}

let pending: Promise<AuthMode> | undefined;

/**
 * The server's auth mode, asked once and kept in the connection store. Rejects while the server
 * cannot be reached (the caller retries later); a known mode is never asked again.
 */
export function resolveAuthMode(): Promise<AuthMode> {
  const known = connectionStore.getState().authMode;
  if (known !== 'unknown') return Promise.resolve(known);
  pending ??= askServer().finally(() => (pending = undefined));
  return pending;
}

async function askServer(): Promise<AuthMode> {
  const res = await fetch(Paths.health, { cache: 'no-store' });
  const body = (await res.json().catch(() => ({}))) as { devMode?: unknown };
  const mode: AuthMode = body.devMode === true ? 'dev' : 'production';
  connectionStore.setState({ authMode: mode });
  return mode;
}
