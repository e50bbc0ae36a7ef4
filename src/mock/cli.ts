/**
 * `npm run agents -- --url ws://host:8080/ws [--token JWT] [--count 20] [--interval 1000] [--seed 42]`
 * runs a simulated fleet against any Nexus server. Without --token it asks the server's dev
 * token route (dev mode only) for one token per agent.
 */
import { parseArgs } from 'node:util';
import { startFleet } from './fleet.js';

const USAGE =
  'usage: npm run agents -- --url ws://127.0.0.1:8080/ws [--token JWT] [--count 5] [--interval 1000] [--seed 42]';

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
      token: { type: 'string' },
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
  const token = values.token;
  const fleet = startFleet({
    url,
    count: positiveInt('count', values.count, 5),
    intervalMs: positiveInt('interval', values.interval, 1000),
    seed: positiveInt('seed', values.seed, 42),
    token: (agentId) => token ?? (() => devToken(url, agentId)),
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
