/**
 * Authenticated GETs against the Nexus REST API. The socket client does not expose
 * its token, so REST gets its own the same way the bridge does: the dev token route in dev mode
 * (as `/healthz` says), the pasted token in production — and before either, the identity provider's
 * token when the person signed in with one.
 */
import { HttpStatus } from '@nexus-realtime/client/protocol';
import { fetchDevToken, storedToken } from './auth';
import { resolveAuthMode } from './server-hints';
import { providerToken } from './sign-in';

/** A failed REST call, carrying the server's `{"error":{"code","message"}}` when it sent one. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const restUserId = `dashboard-rest-${Math.random().toString(36).slice(2, 8)}`;

/** Cached so every query does not mint a token; dropped when the server refuses it. */
let devToken: Promise<string | undefined> | undefined;

interface BearerToken {
  readonly token: string;
  /** Dev tokens can be fetched again; a pasted token cannot. */
  readonly dev: boolean;
}

async function currentToken(): Promise<BearerToken> {
  const signedIn = await providerToken();
  if (signedIn) return { token: signedIn, dev: false };
  if ((await resolveAuthMode()) === 'dev') {
    devToken ??= fetchDevToken(restUserId).catch((error: unknown) => {
      devToken = undefined; // a network hiccup must not stick
      throw error;
    });
    const token = await devToken;
    if (token) return { token, dev: true };
  }
  const token = storedToken();
  if (!token) throw new ApiError('No token yet: paste one to connect.', HttpStatus.Unauthorized, undefined);
  return { token, dev: false };
}

/** Status of an `ApiError` for a request that got no HTTP answer at all. */
export const NO_ANSWER = 0;

/**
 * `fetch`, with the browser's bare network error ("Failed to fetch", "NetworkError when…")
 * turned into a sentence a person can act on.
 */
async function fetchOrExplain(path: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(path, init);
  } catch (error) {
    throw explained(error);
  }
}

/** A token for REST, with a failure to reach the server (for `/healthz` or a dev token) explained. */
async function tokenOrExplain(): Promise<BearerToken> {
  try {
    return await currentToken();
  } catch (error) {
    throw explained(error);
  }
}

function explained(error: unknown): unknown {
  if (error instanceof ApiError || (error as Error)?.name === 'AbortError') return error;
  return new ApiError(
    'the server did not answer (it may be restarting, or the network is down). It is asked again when the connection is back.',
    NO_ANSWER,
    undefined,
  );
}

function isAuthRefusal(status: number): boolean {
  return status === HttpStatus.Unauthorized || status === HttpStatus.Forbidden;
}

async function errorFrom(res: Response): Promise<ApiError> {
  const body = (await res.json().catch(() => undefined)) as { error?: { code?: string; message?: string } } | undefined;
  const message = body?.error?.message ?? `the server answered HTTP ${res.status} ${res.statusText}`.trim();
  return new ApiError(message, res.status, body?.error?.code);
}

async function authorizedGet(
  path: string,
  signal: AbortSignal | undefined,
  accept = 'application/json',
): Promise<{ res: Response; dev: boolean }> {
  const { token, dev } = await tokenOrExplain();
  const res = await fetchOrExplain(path, { signal, headers: { accept, authorization: `Bearer ${token}` } });
  return { res, dev };
}

/**
 * GETs `path` and returns its JSON body (`signal` lets react-query cancel it). A dev token refused with 401/403 (it expired, or the
 * server restarted with another secret) is fetched again once before giving up.
 */
export async function apiGet<T>(path: string, signal?: AbortSignal): Promise<T> {
  return (await apiGetWithHeaders<T>(path, signal)).body;
}

/** `apiGet`, with the response headers as well. */
export async function apiGetWithHeaders<T>(path: string, signal?: AbortSignal): Promise<{ body: T; headers: Headers }> {
  const first = await authorizedGet(path, signal);
  let res = first.res;
  if (isAuthRefusal(res.status) && first.dev) {
    devToken = undefined;
    res = (await authorizedGet(path, signal)).res;
  }
  if (!res.ok) throw await errorFrom(res);
  return { body: (await res.json()) as T, headers: res.headers };
}

/** GETs `path` as a file (an export such as `?format=csv`), with the same token handling as `apiGet`. */
export async function apiGetBlob(path: string, accept: string, signal?: AbortSignal): Promise<Blob> {
  const first = await authorizedGet(path, signal, accept);
  let res = first.res;
  if (isAuthRefusal(res.status) && first.dev) {
    devToken = undefined;
    res = (await authorizedGet(path, signal, accept)).res;
  }
  if (!res.ok) throw await errorFrom(res);
  return res.blob();
}

/** POSTs `body` as JSON to `path` and returns the JSON answer (a dev token refused is fetched again once). */
export async function apiPost<T>(path: string, body: unknown): Promise<T> {
  const send = async () => {
    const { token, dev } = await tokenOrExplain();
    const res = await fetchOrExplain(path, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    return { res, dev };
  };
  const first = await send();
  let res = first.res;
  if (isAuthRefusal(res.status) && first.dev) {
    devToken = undefined;
    res = (await send()).res;
  }
  if (!res.ok) throw await errorFrom(res);
  return (await res.json()) as T;
}
