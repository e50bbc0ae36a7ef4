/**
 * `npm run agents -- --url ws://host:8080/ws [--count 20] [--prefix cli-] [--interval 1000] [--seed 42]`
 * runs a simulated fleet against any Nexus server. Every agent has a token of its own (an agent
 * token names the one agent it may speak for): in dev mode each is asked from the server's dev
 * token route; against a production server pass one `--token` per agent (`npm run token -- --user
 * … --role agent --agent-id …`), and each agent takes its id from its token.
 * Agent ids get a prefix (random by default) so they never collide with the simulated agents
 * `npm start` runs, nor with another `npm run agents`.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { tokenClaims } from '@nexus-realtime/client';
import { startFleet } from './fleet.js';

const USAGE = [
  'usage: npm run agents -- --url ws://HOST:PORT/ws [--count 5] [--prefix cli-] [--interval 1000] [--seed 42]',
  '       npm run agents -- --url wss://HOST/ws --token JWT1 --token JWT2 …  (one agent per token)',
  '',
  'example (a server started with `npm start` in another terminal, dev mode):',
  '  npm run agents -- --url ws://127.0.0.1:8080/ws --count 3',
].join('\n');

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

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      token: { type: 'string', multiple: true },
      prefix: { type: 'string' },
      count: { type: 'string' },
      interval: { type: 'string' },
      seed: { type: 'string' },
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
  // Fail fast, with the reason, when no server answers (rather than agents retrying forever).
  await request(new URL('/healthz', httpOrigin(url)));
  const fleet = startFleet({
    url,
    count,
    ...(tokens.size > 0 ? { agentIds: [...tokens.keys()] } : { idPrefix: prefix }),
    intervalMs,
    seed,
    token: (agentId) => tokens.get(agentId) ?? (() => devToken(url, agentId)),
    logger: {
      info: (obj, msg) => console.log(JSON.stringify({ ...obj, msg })),
      warn: (obj, msg) => console.warn(JSON.stringify({ ...obj, msg })),
    },
  });
  for (const agent of fleet.agents) {
    // A failed token request says why (e.g. "connection refused"), not only "token provider failed".
    let lastError: string | undefined;
    agent.client.on('error', ({ message }) => (lastError = message));
    agent.client.on('state', ({ next, reason }) => {
      const why = reason === 'token provider failed' && lastError ? lastError : reason;
      console.log(JSON.stringify({ agentId: agent.agentId, state: next, reason: why }));
    });
  }
  const stop = () => {
    fleet.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
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
