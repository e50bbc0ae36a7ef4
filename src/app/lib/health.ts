/**
 * `GET /healthz` as the page reads it. Only a JSON object with a `status` is an answer from
 * Nexus: a proxy's 502 page, or the dev proxy's error while the server restarts, is not, and
 * must not be taken for one (it would decide "production mode" or "server back" on a guess).
 */
import { Paths } from '@nexus-realtime/client/protocol';

/** What Redis is doing for this server's process, when it uses Redis. */
export type RedisHealth = 'up' | 'down' | 'refusing writes';

export interface Health {
  readonly status: string;
  readonly broker?: string;
  readonly redis?: RedisHealth;
  readonly devMode: boolean;
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
  const { status, broker, redis, devMode } = body as Record<string, unknown>;
  if (typeof status !== 'string') return undefined;
  return {
    status,
    ...(typeof broker === 'string' ? { broker } : {}),
    ...(typeof redis === 'string' && REDIS_STATES.has(redis) ? { redis: redis as RedisHealth } : {}),
    devMode: devMode === true,
  };
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
