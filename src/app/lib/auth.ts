/**
 * Where the dashboard's token comes from. Dev mode (the server has no NEXUS_JWT_SECRET): the
 * dev token route hands out an operator token, asked again before every connect. Production:
 * the person pastes a token, kept in sessionStorage for this tab only.
 */
import { tokenClaims as readClaims } from '@nexus-realtime/client';

const TOKEN_KEY = 'nexus.token';
const DEV_TOKEN_PATH = '/api/dev/token';

export type AuthMode = 'unknown' | 'dev' | 'production';

/** A token from the dev route, or undefined when the server is in production mode (404). */
export async function fetchDevToken(userId: string): Promise<string | undefined> {
  const res = await fetch(DEV_TOKEN_PATH, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId, role: 'operator' }),
  });
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`dev token request failed (${res.status})`);
  return ((await res.json()) as { token: string }).token;
}

export function storedToken(): string | undefined {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

export function storeToken(token: string | undefined): void {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // Storage unavailable (private mode): the token lives for this page only.
  }
}

/** The claims the dashboard shows (read without verifying; the server verifies). */
export function tokenClaims(token: string): { userId?: string; role?: string; exp?: number } {
  const claims = readClaims(token);
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return {
    userId: text(claims.userId) ?? text(claims.sub),
    role: text(claims.role),
    exp: typeof claims.exp === 'number' ? claims.exp : undefined,
  };
}

/** The WebSocket URL of the server that served this page. */
export function webSocketUrl(): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws`;
}
