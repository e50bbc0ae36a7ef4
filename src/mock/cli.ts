/**
 * `npm run agents -- --url ws://host:8080/ws [--count 20] [--prefix cli-] [--interval 1000] [--seed 42]`
 * runs a simulated fleet against any Nexus server. Every agent has a token of its own (an agent
 * token names the one agent it may speak for): in dev mode each is asked from the server's dev
 * token route; against a production server either pass one `--token` per agent (`npm run token --
 * --user … --role agent --agent-id …`), and each agent takes its id from its token, or `--sign`:
 * the CLI signs each agent's token itself with NEXUS_JWT_SECRET from its environment.
 * Agent ids get a prefix (random by default) so they never collide with the simulated agents
 * `npm start` runs, nor with another `npm run agents`.
 *
 * Large fleets (`--count 10000`) run in this one process: the connections open at `--ramp` per
 * second, one timer drives every agent's telemetry (agent i at i/count of each interval, so the
 * publishes are spread over the whole interval), and above 100 agents a status line every 5 s
 * replaces the per-agent state lines and each client waits 30 s (not 10) for a connect or a pong.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { tokenClaims } from '@nexus-realtime/client';
import { startFleet, type Fleet } from './fleet.js';

const USAGE = [
  'usage: npm run agents -- --url ws://HOST:PORT/ws [--count 5] [--prefix cli-] [--interval 1000] [--seed 42]',
  '                         [--ramp 500] [--metrics 6] [--sign]',
  '       npm run agents -- --url wss://HOST/ws --token JWT1 --token JWT2 …  (one agent per token)',
  '  --ramp     connections opened per second (default 500)',
  '  --metrics  metrics per sample (default 6; more adds made-up ones: custom_007 …)',
  '  --sign     sign each agent token with NEXUS_JWT_SECRET (production server) instead of the dev route',
  '',
  'example (a server started with `npm start` in another terminal, dev mode):',
  '  npm run agents -- --url ws://127.0.0.1:8080/ws --count 3',
].join('\n');

/** Agents above which a status line every 5 s replaces the per-agent state lines. */
const PER_AGENT_LOG_MAX = 100;
const STATUS_EVERY_MS = 5000;
const TOKEN_TTL_S = 24 * 3600;
const LARGE_FLEET_CLIENT_OPTIONS = { connectTimeoutMs: 30_000, pingIntervalMs: 30_000, pongTimeoutMs: 30_000 };

/** The agent a token names: its `agent_id` claim, else its userId (or sub). */
function agentIdOf(token: string): string {
  const claims = tokenClaims(token);
  const id = [claims.agent_id, claims.userId, claims.sub].find((v) => typeof v === 'string' && v.length > 0);
  if (typeof id !== 'string') throw new Error('a --token has no agent_id, userId or sub claim');
  if (claims.role !== 'agent') throw new Error(`the token for ${id} has role "${String(claims.role)}", not "agent"`);
  return id;
}

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new Error(`--${name} must be a whole number ≥ 1 (got "${raw}")`);
  return Number(raw);
}

/** The server's HTTP origin for a WebSocket URL: `ws://h:p/ws` → `http://h:p`. */
function httpOrigin(wsUrl: string): URL {
  const url = new URL(wsUrl);
  url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  url.pathname = '/';
  url.search = '';
  return url;
}

/** fetch(), with "fetch failed" turned into what happened (connection refused, unknown host…). */
async function request(url: URL, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
    const message =
      cause?.code === 'ECONNREFUSED'
        ? `connection refused: nothing listens at ${url.origin}`
        : cause?.code === 'ENOTFOUND'
          ? `unknown host ${url.hostname}`
          : (error as Error).name === 'TimeoutError'
            ? `no answer from ${url.origin} within 10 s`
            : `cannot reach ${url.origin}: ${String(cause?.code ?? cause?.message ?? (error as Error).message)}`;
    throw new Error(message, { cause: error });
  }
}

async function devToken(wsUrl: string, agentId: string): Promise<string> {
  const url = new URL('/api/dev/token', httpOrigin(wsUrl));
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId: agentId, role: 'agent' }),
  });
  if (!res.ok) throw new Error(`dev token refused (${res.status}); pass --token for a production server`);
  return ((await res.json()) as { token: string }).token;
}

/** An HS256 agent token for `agentId`, signed with `secret` (what `npm run token` makes). */
function signAgentToken(secret: string, agentId: string): string {
  const part = (obj: object) => Buffer.from(JSON.stringify(obj)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ userId: agentId, role: 'agent', iat: now, exp: now + TOKEN_TTL_S })}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      token: { type: 'string', multiple: true },
      prefix: { type: 'string' },
      count: { type: 'string' },
      interval: { type: 'string' },
      seed: { type: 'string' },
      ramp: { type: 'string' },
      metrics: { type: 'string' },
      sign: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !values.url) {
    console.error(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const url = values.url;
  try {
    httpOrigin(url);
  } catch {
    throw new Error(`--url must be a WebSocket URL such as ws://127.0.0.1:8080/ws (got "${url}")`);
  }
  const tokens = new Map((values.token ?? []).map((token) => [agentIdOf(token), token]));
  if (values.token && tokens.size !== values.token.length) throw new Error('two --token name the same agent');
  if (values.token && values.count !== undefined)
    throw new Error('--count goes with dev tokens; with --token, one agent runs per token');
  const prefix = values.prefix ?? `cli-${randomBytes(2).toString('hex')}_`;
  if (!/^[A-Za-z0-9_.:-]{0,64}$/.test(prefix))
    throw new Error('--prefix may use letters, digits and _ . : - (at most 64)');
  const count = positiveInt('count', values.count, 5);
  const intervalMs = positiveInt('interval', values.interval, 1000);
  const seed = positiveInt('seed', values.seed, 42);
  const connectPerSecond = positiveInt('ramp', values.ramp, 500);
  const metrics = positiveInt('metrics', values.metrics, 6);
  if (metrics < 6 || metrics > 1000) throw new Error(`--metrics must be between 6 and 1000 (got ${metrics})`);
  const secret = values.sign ? (process.env.NEXUS_JWT_SECRET ?? '') : undefined;
  if (secret !== undefined && Buffer.byteLength(secret) < 32)
    throw new Error('--sign needs NEXUS_JWT_SECRET (at least 32 bytes) in the environment');
  if (secret !== undefined && values.token) throw new Error('--sign and --token do not go together');
  // Fail fast, with the reason, when no server answers (rather than agents retrying forever).
  await request(new URL('/healthz', httpOrigin(url)));
  const fleet = startFleet({
    url,
    count,
    ...(tokens.size > 0 ? { agentIds: [...tokens.keys()] } : { idPrefix: prefix }),
    intervalMs,
    seed,
    metrics,
    connectPerSecond,
    sharedClock: true,
    // Thousands of agents on one machine: a connect or a pong may come late; giving up after 10 s
    // would only add a retry to the queue.
    ...(count > PER_AGENT_LOG_MAX ? { clientOptions: LARGE_FLEET_CLIENT_OPTIONS } : {}),
    token: (agentId) =>
      tokens.get(agentId) ??
      (secret !== undefined ? () => signAgentToken(secret, agentId) : () => devToken(url, agentId)),
    logger: {
      info: (obj, msg) => console.log(JSON.stringify({ ...obj, msg })),
      warn: (obj, msg) => console.warn(JSON.stringify({ ...obj, msg })),
    },
  });
  const statusTimer =
    fleet.agents.length > PER_AGENT_LOG_MAX
      ? setInterval(() => console.log(status(fleet)), STATUS_EVERY_MS)
      : undefined;
  for (const agent of fleet.agents) {
    if (statusTimer) break;
    // A failed token request says why (e.g. "connection refused"), not only "token provider failed".
    let lastError: string | undefined;
    agent.client.on('error', ({ message }) => (lastError = message));
    agent.client.on('state', ({ next, reason }) => {
      const why = reason === 'token provider failed' && lastError ? lastError : reason;
      console.log(JSON.stringify({ agentId: agent.agentId, state: next, reason: why }));
    });
  }
  const stop = () => {
    clearInterval(statusTimer);
    fleet.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

let previous = { at: Date.now(), published: 0 };

/** One JSON line: how many agents are in each state, and the telemetry published and acknowledged. */
function status(fleet: Fleet): string {
  const states: Record<string, number> = {};
  let published = 0;
  let acked = 0;
  let refused = 0;
  for (const agent of fleet.agents) {
    states[agent.client.state] = (states[agent.client.state] ?? 0) + 1;
    published += agent.ticks;
    acked += agent.telemetryOutcomes.acked;
    refused += agent.telemetryOutcomes.refused;
  }
  const now = Date.now();
  const perSecond = Math.round(((published - previous.published) * 1000) / Math.max(1, now - previous.at));
  previous = { at: now, published };
  return JSON.stringify({
    agents: fleet.agents.length,
    started: fleet.started,
    states,
    published,
    perSecond,
    acked,
    refused,
  });
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  // An unreachable server is not a usage mistake: no usage text for it.
  const unreachable = /^(connection refused|unknown host|no answer|cannot reach)/.test(message);
  console.error(
    unreachable ? `agents: ${message}; is the Nexus server running (npm start)?` : `agents: ${message}\n${USAGE}`,
  );
  process.exit(unreachable ? 1 : 2);
});
