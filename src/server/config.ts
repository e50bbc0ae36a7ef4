/**
 * Environment → typed, validated configuration. Every bad variable is reported at once, each on
 * one line naming the variable; the process never starts half-configured. There is no fallback
 * secret: without NEXUS_JWT_SECRET the server runs in dev mode with a random secret per start.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { Defaults, checkAlertRules, type AlertRule } from '@nexus-realtime/client/protocol';
import { builtInPolicy, parsePolicy, type PolicyDocument } from './policy.js';
import {
  readIdentityProvider,
  readOidcSignIn,
  type IdentityProviderConfig,
  type OidcSignInConfig,
} from './config-idp.js';

export const MIN_SECRET_BYTES = 32;

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** The server's configuration; `createNexusServer` takes one of these. */
export interface NexusConfig {
  readonly port: number;
  readonly host: string;
  /** HS256 secret; random per start in dev mode. */
  readonly jwtSecret: Uint8Array;
  /**
   * True when neither NEXUS_JWT_SECRET nor NEXUS_JWKS_URL is set: dev token route on, localhost
   * origins allowed.
   */
  readonly devMode: boolean;
  /** Tokens from an identity provider, checked with its published keys (NEXUS_JWKS_URL …). */
  readonly identityProvider?: IdentityProviderConfig | undefined;
  /** The dashboard's "Sign in" with that provider (NEXUS_OIDC_ISSUER, NEXUS_OIDC_CLIENT_ID). */
  readonly oidcSignIn?: OidcSignInConfig | undefined;
  readonly redisUrl: string | undefined;
  readonly mockAgents: number;
  readonly mockIntervalMs: number;
  readonly heartbeatIntervalMs: number;
  readonly maxPayloadBytes: number;
  readonly historySize: number;
  /** Seconds a message stays in history (memory and Redis). */
  readonly historyTtlSeconds: number;
  /** Bytes of history one process keeps in memory, all channels together. */
  readonly historyMaxBytes: number;
  /** Open WebSockets one userId may hold on one process. */
  readonly maxConnectionsPerUser: number;
  /** A queued task nobody started, or a running task whose agent is gone, fails after this. */
  readonly taskClaimTimeoutSeconds: number;
  readonly maxBufferedBytes: number;
  readonly deflate: boolean;
  /** Extra allowed browser origins; same origin is always allowed. */
  readonly allowedOrigins: readonly string[] | undefined;
  readonly policy: PolicyDocument;
  /**
   * Bytes the telemetry rollups may use, all agents and metrics together (0: no rollups, no
   * `telemetry.fleet`, and `/api/telemetry` knows no metric).
   */
  readonly telemetryMaxBytes: number;
  /** Entries the audit log keeps (0: no audit log is kept). */
  readonly auditMaxEntries: number;
  /** An agent connected but without telemetry this long is `silent`. */
  readonly agentSilentSeconds: number;
  /** `NEXUS_ALERT_RULES`: alert rules set for the deployment at start (absent: keep the stored ones). */
  readonly alertRules?: readonly AlertRule[] | undefined;
  readonly logLevel: LogLevel;
}

/** Thrown when the environment is invalid; `problems` has one line per bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

const intInRange = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be between ${min} and ${max}`);

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const parsers = {
  PORT: intInRange(0, 65_535),
  HOST: z.string().trim().min(1, 'must not be empty'),
  NEXUS_MOCK_AGENTS: intInRange(0, 10_000),
  NEXUS_MOCK_INTERVAL_MS: intInRange(10, 3_600_000),
  NEXUS_HEARTBEAT_MS: intInRange(100, 3_600_000),
  NEXUS_MAX_PAYLOAD: intInRange(1024, 100 * 1024 * 1024),
  NEXUS_HISTORY_SIZE: intInRange(0, 1_000_000),
  NEXUS_HISTORY_TTL_S: intInRange(1, 31 * 24 * 3600),
  NEXUS_HISTORY_MAX_BYTES: intInRange(0, 64 * 1024 * 1024 * 1024),
  NEXUS_MAX_CONNECTIONS_PER_USER: intInRange(1, 1_000_000),
  NEXUS_TASK_CLAIM_TIMEOUT_S: intInRange(1, 7 * 24 * 3600),
  NEXUS_MAX_BUFFERED: intInRange(1024, 1024 * 1024 * 1024),
  NEXUS_TELEMETRY_MAX_BYTES: intInRange(0, 64 * 1024 * 1024 * 1024),
  NEXUS_AUDIT_MAX: intInRange(0, 100_000_000),
  NEXUS_AGENT_SILENT_S: intInRange(1, 24 * 3600),
  NEXUS_DEFLATE: z.enum(['on', 'off'], { error: 'must be "on" or "off"' }),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }),
} as const;

/**
 * Reads the configuration from `env`. `defaults` lets a launcher (npm start) change a default
 * without overriding what the user set, e.g. `NEXUS_MOCK_AGENTS=5`.
 */
export function loadConfig(env: Env, defaults: Env = {}): NexusConfig {
  const problems: string[] = [];
  const read = <K extends keyof typeof parsers>(name: K, fallback: string): z.output<(typeof parsers)[K]> => {
    const raw = env[name] ?? defaults[name] ?? fallback;
    const parsed = parsers[name].safeParse(raw);
    if (parsed.success) return parsed.data as z.output<(typeof parsers)[K]>;
    problems.push(`${name}: ${parsed.error.issues[0]?.message ?? 'invalid'} (got "${truncate(raw)}")`);
    return parsers[name].parse(fallback) as z.output<(typeof parsers)[K]>;
  };

  const identityProvider = readIdentityProvider(env, problems);
  const config = {
    port: read('PORT', String(Defaults.port)),
    host: read('HOST', Defaults.host),
    mockAgents: read('NEXUS_MOCK_AGENTS', '0'),
    mockIntervalMs: read('NEXUS_MOCK_INTERVAL_MS', String(Defaults.mockAgentIntervalMs)),
    heartbeatIntervalMs: read('NEXUS_HEARTBEAT_MS', String(Defaults.heartbeatIntervalMs)),
    maxPayloadBytes: read('NEXUS_MAX_PAYLOAD', String(Defaults.maxPayloadBytes)),
    historySize: read('NEXUS_HISTORY_SIZE', String(Defaults.historySize)),
    historyTtlSeconds: read('NEXUS_HISTORY_TTL_S', String(Defaults.historyTtlSeconds)),
    historyMaxBytes: read('NEXUS_HISTORY_MAX_BYTES', String(Defaults.historyMaxBytes)),
    maxConnectionsPerUser: read('NEXUS_MAX_CONNECTIONS_PER_USER', String(Defaults.maxConnectionsPerUser)),
    taskClaimTimeoutSeconds: read('NEXUS_TASK_CLAIM_TIMEOUT_S', String(Defaults.taskClaimTimeoutSeconds)),
    maxBufferedBytes: read('NEXUS_MAX_BUFFERED', String(Defaults.maxBufferedBytes)),
    telemetryMaxBytes: read('NEXUS_TELEMETRY_MAX_BYTES', String(Defaults.telemetryMaxBytes)),
    auditMaxEntries: read('NEXUS_AUDIT_MAX', String(Defaults.auditMaxEntries)),
    agentSilentSeconds: read('NEXUS_AGENT_SILENT_S', String(Defaults.agentSilentSeconds)),
    deflate: read('NEXUS_DEFLATE', 'on') === 'on',
    logLevel: read('LOG_LEVEL', 'info'),
    ...readSecret(env.NEXUS_JWT_SECRET, problems, identityProvider !== undefined),
    identityProvider,
    oidcSignIn: readOidcSignIn(env, identityProvider, problems),
    redisUrl: readRedisUrl(env.NEXUS_REDIS_URL, problems),
    allowedOrigins: readOrigins(env.NEXUS_ALLOWED_ORIGINS, problems),
    policy: readPolicy(env.NEXUS_POLICY, problems),
    alertRules: readAlertRules(env.NEXUS_ALERT_RULES, problems),
  } satisfies NexusConfig;

  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function readSecret(
  raw: string | undefined,
  problems: string[],
  identityProvider: boolean,
): Pick<NexusConfig, 'jwtSecret' | 'devMode'> {
  // Tokens from an identity provider are production: no dev token route, no HS256 (nobody holds
  // the random secret, and auth is told not to take HS256 at all).
  if (raw === undefined || raw === '') return { jwtSecret: randomBytes(MIN_SECRET_BYTES), devMode: !identityProvider };
  const bytes = new TextEncoder().encode(raw);
  if (bytes.length < MIN_SECRET_BYTES) {
    problems.push(
      `NEXUS_JWT_SECRET: must be at least ${MIN_SECRET_BYTES} bytes (got ${bytes.length}); ` +
        "generate one with: node -e \"console.log(require('crypto').randomBytes(48).toString('base64url'))\"",
    );
  }
  return { jwtSecret: bytes, devMode: false };
}

function readRedisUrl(raw: string | undefined, problems: string[]): string | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  try {
    const url = new URL(raw);
    if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new Error('scheme');
    if (!url.hostname) throw new Error('host');
    return raw.trim();
  } catch {
    problems.push(
      `NEXUS_REDIS_URL: must be a redis:// or rediss:// URL such as redis://127.0.0.1:6379 (got "${truncate(redact(raw))}")`,
    );
    return undefined;
  }
}

function readOrigins(raw: string | undefined, problems: string[]): readonly string[] | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const origins: string[] = [];
  for (const item of raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    try {
      const url = new URL(item);
      if (url.origin === 'null') throw new Error('opaque');
      origins.push(url.origin);
    } catch {
      problems.push(`NEXUS_ALLOWED_ORIGINS: "${truncate(item)}" is not an origin like https://ops.example.com`);
    }
  }
  return origins;
}

function readPolicy(path: string | undefined, problems: string[]): PolicyDocument {
  if (path === undefined || path.trim() === '') return builtInPolicy;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    problems.push(`NEXUS_POLICY: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    return builtInPolicy;
  }
  const result = parsePolicy(text);
  if (result.ok) return result.policy;
  problems.push(`NEXUS_POLICY: ${path} is not a valid policy: ${result.message}`);
  return builtInPolicy;
}

/** The rules of `NEXUS_ALERT_RULES`: a readable JSON array of valid rules with distinct ids. */
function readAlertRules(path: string | undefined, problems: string[]): AlertRule[] | undefined {
  if (path === undefined || path.trim() === '') return undefined;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    problems.push(`NEXUS_ALERT_RULES: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    return undefined;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    problems.push(`NEXUS_ALERT_RULES: ${path} is not valid JSON (${(error as Error).message})`);
    return undefined;
  }
  const checked = checkAlertRules(value);
  if (checked.ok) return checked.rules;
  problems.push(`NEXUS_ALERT_RULES: ${path}: ${checked.message}`);
  return undefined;
}

function truncate(value: string): string {
  return value.length > 80 ? `${value.slice(0, 77)}...` : value;
}

/** Hides the password of a URL (`redis://user:secret@host` → `redis://user:***@host`). */
function redact(value: string): string {
  return value.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
}
