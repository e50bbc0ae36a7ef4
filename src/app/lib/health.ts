/**
 * `GET /healthz` as the page reads it. Only a JSON object with a `status` is an answer from
 * Nexus: a proxy's 502 page, or the dev proxy's error while the server restarts, is not, and
 * must not be taken for one (it would decide "production mode" or "server back" on a guess).
 */
import { Paths } from '@nexus-realtime/client/protocol';

/** What Redis is doing for this server's process, when it uses Redis. */
export type RedisHealth = 'up' | 'down' | 'refusing writes';

/** The identity provider the server offers for signing in (`NEXUS_OIDC_ISSUER`, `NEXUS_OIDC_CLIENT_ID`). */
export interface OidcOffer {
  readonly issuer: string;
  readonly clientId: string;
}

export interface Health {
  readonly status: string;
  readonly broker?: string;
  readonly redis?: RedisHealth;
  readonly devMode: boolean;
  readonly oidc?: OidcOffer;
}

const REDIS_STATES: ReadonlySet<string> = new Set<RedisHealth>(['up', 'down', 'refusing writes']);

/** The health answer in `text`, or undefined when it is not one (not JSON, or no `status`). */
export function parseHealth(text: string): Health | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null) return undefined;
  const { status, broker, redis, devMode, oidc } = body as Record<string, unknown>;
  if (typeof status !== 'string') return undefined;
  const offer = parseOidcOffer(oidc);
  return {
    status,
    ...(typeof broker === 'string' ? { broker } : {}),
    ...(typeof redis === 'string' && REDIS_STATES.has(redis) ? { redis: redis as RedisHealth } : {}),
    devMode: devMode === true,
    ...(offer ? { oidc: offer } : {}),
  };
}

const MAX_OFFER_LENGTH = 2048;

/** `"oidc": {"issuer", "clientId"}` when both are there and the issuer is an http(s) URL; else undefined. */
export function parseOidcOffer(value: unknown): OidcOffer | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { issuer, clientId } = value as Record<string, unknown>;
  if (typeof issuer !== 'string' || typeof clientId !== 'string') return undefined;
  if (issuer.length > MAX_OFFER_LENGTH || clientId.length === 0 || clientId.length > MAX_OFFER_LENGTH) return undefined;
  if (!/^https?:\/\/[^\s]+$/.test(issuer)) return undefined;
  return { issuer, clientId };
}

/** Asks `/healthz`; undefined when the server could not be reached or did not answer as Nexus. */
export async function fetchHealth(signal?: AbortSignal): Promise<Health | undefined> {
  try {
    const res = await fetch(Paths.health, { cache: 'no-store', signal, headers: { accept: 'application/json' } });
    return parseHealth(await res.text());
  } catch {
    return undefined;
  }
}

/** The words the page uses for a Redis problem, or undefined when there is none. */
export function redisProblem(health: Pick<Health, 'redis'> | undefined): Exclude<RedisHealth, 'up'> | undefined {
  const redis = health?.redis;
  return redis === 'down' || redis === 'refusing writes' ? redis : undefined;
}
