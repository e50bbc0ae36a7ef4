/**
 * Starts a real Nexus server in-process on 127.0.0.1, port 0, with a fixed production secret
 * (so tests can sign their own tokens) unless the env says otherwise.
 */
import { pino } from 'pino';
import { loadConfig, type NexusConfig } from '../../src/server/config.js';
import { createNexusServer, type NexusServer, type NexusServerDeps } from '../../src/server/server.js';
import { TEST_SECRET } from './tokens.js';

export interface TestServerOptions {
  /** Environment variables, as a user would set them. */
  readonly env?: Record<string, string | undefined>;
  readonly deps?: NexusServerDeps;
  /** Capture log lines (JSON objects) instead of discarding them. */
  readonly captureLogs?: boolean;
}

export interface TestServer extends NexusServer {
  readonly config: NexusConfig;
  /** Log lines written so far (raw JSON text), when `captureLogs` was set. */
  readonly logLines: string[];
}

export async function startServer(options: TestServerOptions = {}): Promise<TestServer> {
  const env = { PORT: '0', HOST: '127.0.0.1', NEXUS_JWT_SECRET: TEST_SECRET, LOG_LEVEL: 'warn', ...options.env };
  const config = loadConfig(env);
  const logLines: string[] = [];
  const destination = { write: (line: string) => void logLines.push(line) };
  const logger = pino(
    { level: options.captureLogs ? 'trace' : config.logLevel },
    options.captureLogs ? destination : pino.destination({ dest: 2, sync: true }),
  );
  const server = await createNexusServer(config, { logger, closeGraceMs: 500, ...options.deps });
  return Object.assign(server, { config, logLines });
}
