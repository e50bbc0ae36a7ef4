import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const SECRET = 'x'.repeat(32);

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('config', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      devMode: true,
      redisUrl: undefined,
      mockAgents: 0,
      mockIntervalMs: 1000,
      heartbeatIntervalMs: 30000,
      maxPayloadBytes: 1048576,
      historySize: 1000,
      historyTtlSeconds: 3600,
      historyMaxBytes: 268435456,
      maxConnectionsPerUser: 100,
      taskClaimTimeoutSeconds: 30,
      maxBufferedBytes: 4194304,
      deflate: true,
      allowedOrigins: undefined,
      logLevel: 'info',
    });
    expect(config.jwtSecret.length).toBeGreaterThanOrEqual(32);
  });

  it('uses a different random secret per start in dev mode', () => {
    expect(Buffer.from(loadConfig({}).jwtSecret).equals(Buffer.from(loadConfig({}).jwtSecret))).toBe(false);
  });

  it('lets a launcher change defaults without overriding the user', () => {
    expect(loadConfig({}, { NEXUS_MOCK_AGENTS: '5' }).mockAgents).toBe(5);
    expect(loadConfig({ NEXUS_MOCK_AGENTS: '0' }, { NEXUS_MOCK_AGENTS: '5' }).mockAgents).toBe(0);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '0',
      HOST: '0.0.0.0',
      NEXUS_JWT_SECRET: SECRET,
      NEXUS_REDIS_URL: 'redis://127.0.0.1:6380',
      NEXUS_MOCK_AGENTS: '3',
      NEXUS_MOCK_INTERVAL_MS: '250',
      NEXUS_HEARTBEAT_MS: '5000',
      NEXUS_MAX_PAYLOAD: '2048',
      NEXUS_HISTORY_SIZE: '10',
      NEXUS_HISTORY_TTL_S: '60',
      NEXUS_HISTORY_MAX_BYTES: '1048576',
      NEXUS_MAX_CONNECTIONS_PER_USER: '3',
      NEXUS_TASK_CLAIM_TIMEOUT_S: '5',
      NEXUS_MAX_BUFFERED: '65536',
      NEXUS_DEFLATE: 'off',
      NEXUS_ALLOWED_ORIGINS: 'https://ops.example.com, http://localhost:5173',
      LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      port: 0,
      host: '0.0.0.0',
      devMode: false,
      redisUrl: 'redis://127.0.0.1:6380',
      mockAgents: 3,
      mockIntervalMs: 250,
      heartbeatIntervalMs: 5000,
      maxPayloadBytes: 2048,
      historySize: 10,
      historyTtlSeconds: 60,
      historyMaxBytes: 1048576,
      maxConnectionsPerUser: 3,
      taskClaimTimeoutSeconds: 5,
      maxBufferedBytes: 65536,
      deflate: false,
      allowedOrigins: ['https://ops.example.com', 'http://localhost:5173'],
      logLevel: 'debug',
    });
    expect(new TextDecoder().decode(config.jwtSecret)).toBe(SECRET);
  });

  it('refuses a secret shorter than 32 bytes, naming the variable', () => {
    const problems = problemsOf({ NEXUS_JWT_SECRET: 'x'.repeat(31) });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^NEXUS_JWT_SECRET: must be at least 32 bytes/);
    expect(problems[0]).not.toContain('x'.repeat(31));
  });

  it('reports every bad variable at once, one line each', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      NEXUS_HEARTBEAT_MS: '-1',
      NEXUS_MAX_PAYLOAD: '1e6',
      NEXUS_DEFLATE: 'maybe',
      NEXUS_REDIS_URL: 'localhost:6379',
      NEXUS_ALLOWED_ORIGINS: 'not a url',
      NEXUS_POLICY: '/nonexistent/policy.json',
      LOG_LEVEL: 'loud',
    });
    const names = problems.map((line) => line.split(':')[0]);
    expect(names).toEqual([
      'PORT',
      'NEXUS_HEARTBEAT_MS',
      'NEXUS_MAX_PAYLOAD',
      'NEXUS_DEFLATE',
      'LOG_LEVEL',
      'NEXUS_REDIS_URL',
      'NEXUS_ALLOWED_ORIGINS',
      'NEXUS_POLICY',
    ]);
    for (const line of problems) expect(line).not.toContain('\n');
  });

  it('refuses a port out of range and hides a Redis password', () => {
    expect(problemsOf({ PORT: '70000' })[0]).toMatch(/^PORT: must be between 0 and 65535/);
    const line = problemsOf({ NEXUS_REDIS_URL: 'http://user:hunter2@host' })[0];
    expect(line).toMatch(/^NEXUS_REDIS_URL/);
    expect(line).not.toContain('hunter2');
  });

  it('loads a policy file and refuses an invalid one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nexus-policy-'));
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ roles: { viewer: { subscribe: ['telemetry'], publish: ['chat.*'] } } }));
    expect(loadConfig({ NEXUS_POLICY: good }).policy.roles.viewer).toEqual({
      subscribe: ['telemetry'],
      publish: ['chat.*'],
    });
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ roles: { viewer: { publish: ['a b'] } } }));
    expect(problemsOf({ NEXUS_POLICY: bad })[0]).toMatch(/^NEXUS_POLICY: .*bad\.json is not a valid policy/);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{ not json');
    expect(problemsOf({ NEXUS_POLICY: broken })[0]).toMatch(/^NEXUS_POLICY/);
  });
});

describe('loadConfig: bounds of the newer variables', () => {
  it('refuses bad history, connection and task limits, one line each', () => {
    const problems = problemsOf({
      NEXUS_HISTORY_TTL_S: '0',
      NEXUS_HISTORY_MAX_BYTES: 'lots',
      NEXUS_MAX_CONNECTIONS_PER_USER: '0',
      NEXUS_TASK_CLAIM_TIMEOUT_S: '-5',
    });
    expect(problems.map((line) => line.split(':')[0])).toEqual([
      'NEXUS_HISTORY_TTL_S',
      'NEXUS_HISTORY_MAX_BYTES',
      'NEXUS_MAX_CONNECTIONS_PER_USER',
      'NEXUS_TASK_CLAIM_TIMEOUT_S',
    ]);
  });
});

describe('loadConfig: NEXUS_AGENT_SILENT_S', () => {
  it('defaults to 15 s and reads a whole number of seconds', () => {
    expect(loadConfig({}).agentSilentSeconds).toBe(15);
    expect(loadConfig({ NEXUS_AGENT_SILENT_S: '3' }).agentSilentSeconds).toBe(3);
  });

  it.each(['0', '-2', '1.5', 'soon', '86401'])('refuses %s with one line naming the variable', (value) => {
    const problems = problemsOf({ NEXUS_AGENT_SILENT_S: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^NEXUS_AGENT_SILENT_S: must be (a whole number|between 1 and 86400)/);
  });
});

describe('loadConfig: NEXUS_AUDIT_MAX', () => {
  it('defaults to 100000 entries and reads a whole number (0: no audit log)', () => {
    expect(loadConfig({}).auditMaxEntries).toBe(100_000);
    expect(loadConfig({ NEXUS_AUDIT_MAX: '500' }).auditMaxEntries).toBe(500);
    expect(loadConfig({ NEXUS_AUDIT_MAX: '0' }).auditMaxEntries).toBe(0);
  });

  it.each(['-1', '1.5', 'lots', '100000001'])('refuses %s with one line naming the variable', (value) => {
    const problems = problemsOf({ NEXUS_AUDIT_MAX: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^NEXUS_AUDIT_MAX: must be (a whole number|between 0 and 100000000)/);
  });
});
