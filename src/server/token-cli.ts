/**
 * `npm run token -- --user alice --role operator [--ttl 3600]`: signs a token with
 * NEXUS_JWT_SECRET (production mode), for people and scripts that need one. Agent tokens may name
 * their agent with `--agent-id` (else the userId is the agent id).
 */
import { parseArgs } from 'node:util';
import { ROLES, type Role } from '@nexus-realtime/client/protocol';
import { createAuth } from './auth.js';
import { MIN_SECRET_BYTES } from './config.js';

const USAGE =
  'usage: NEXUS_JWT_SECRET=… npm run token -- --user <userId> [--role viewer|agent|operator|admin] [--agent-id id] [--ttl seconds]';

function fail(message: string): never {
  console.error(`token: ${message}\n${USAGE}`);
  process.exit(2);
}

const OPTIONS = {
  user: { type: 'string' },
  role: { type: 'string', default: 'viewer' },
  ttl: { type: 'string', default: '3600' },
  'agent-id': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function readArgs() {
  try {
    return parseArgs({ options: OPTIONS }).values;
  } catch (error) {
    return fail((error as Error).message);
  }
}

const values = readArgs();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const secret = process.env.NEXUS_JWT_SECRET ?? '';
if (new TextEncoder().encode(secret).length < MIN_SECRET_BYTES)
  fail(`NEXUS_JWT_SECRET must be set to at least ${MIN_SECRET_BYTES} bytes`);
if (!values.user) fail('--user is required');
if (!(ROLES as readonly string[]).includes(values.role)) fail(`--role must be one of ${ROLES.join(', ')}`);
if (!/^\d+$/.test(values.ttl) || Number(values.ttl) < 1) fail('--ttl must be a whole number of seconds ≥ 1');
const agentId = values['agent-id'];
if (agentId !== undefined && values.role !== 'agent') fail('--agent-id goes with --role agent');
if (agentId !== undefined && !/^.{1,128}$/.test(agentId)) fail('--agent-id must be 1 to 128 characters');
const token = await createAuth(new TextEncoder().encode(secret)).sign(
  { userId: values.user, role: values.role as Role, ...(agentId === undefined ? {} : { agentId }) },
  Number(values.ttl),
);
console.log(token);
