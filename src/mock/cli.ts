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
  'usage: npm run agents -- --url ws://127.0.0.1:8080/ws [--count 5] [--prefix cli-] [--interval 1000] [--seed 42]',
  '       npm run agents -- --url wss://nexus.example.com/ws --token JWT1 --token JWT2 …  (one agent per token)',
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

async function devToken(wsUrl: string, agentId: string): Promise<string> {
  const url = new URL(wsUrl);
  url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  url.pathname = '/api/dev/token';
  url.search = '';
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId: agentId, role: 'agent' }),
  });
  if (!res.ok) throw new Error(`dev token refused (${res.status}); pass --token for a production server`);
  return ((await res.json()) as { token: string }).token;
}

function main(): void {
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
  const tokens = new Map((values.token ?? []).map((token) => [agentIdOf(token), token]));
  if (values.token && tokens.size !== values.token.length) throw new Error('two --token name the same agent');
  if (values.token && values.count !== undefined)
    throw new Error('--count goes with dev tokens; with --token, one agent runs per token');
  const prefix = values.prefix ?? `cli-${randomBytes(2).toString('hex')}_`;
  if (!/^[A-Za-z0-9_.:-]{0,64}$/.test(prefix))
    throw new Error('--prefix may use letters, digits and _ . : - (at most 64)');
  const fleet = startFleet({
    url,
    count: positiveInt('count', values.count, 5),
    ...(tokens.size > 0 ? { agentIds: [...tokens.keys()] } : { idPrefix: prefix }),
    intervalMs: positiveInt('interval', values.interval, 1000),
    seed: positiveInt('seed', values.seed, 42),
    token: (agentId) => tokens.get(agentId) ?? (() => devToken(url, agentId)),
    logger: {
      info: (obj, msg) => console.log(JSON.stringify({ ...obj, msg })),
      warn: (obj, msg) => console.warn(JSON.stringify({ ...obj, msg })),
    },
  });
  for (const agent of fleet.agents) {
    agent.client.on('state', ({ next, reason }) =>
      console.log(JSON.stringify({ agentId: agent.agentId, state: next, reason })),
    );
  }
  const stop = () => {
    fleet.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

try {
  main();
} catch (error) {
  console.error(`agents: ${(error as Error).message}\n${USAGE}`);
  process.exit(2);
}
