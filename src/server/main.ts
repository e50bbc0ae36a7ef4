#!/usr/bin/env node
/**
 * Process entry point (`npx nexus-realtime`, `npm start`): environment → config → server; SIGINT/SIGTERM → graceful shutdown
 * (close every WebSocket with 1012, finish in-flight requests, flush logs, exit 0 within 10 s).
 */
import { Defaults, Role } from '@nexus-realtime/client/protocol';
import { ConfigError, loadConfig, type NexusConfig } from './config.js';
import { createLogger, prettyDestination, type Logger } from './logger.js';
import { createNexusServer, type NexusServer } from './server.js';

const AGENT_TOKEN_TTL_SECONDS = 3600;

async function main(): Promise<void> {
  let config: NexusConfig;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) process.stderr.write(`nexus: configuration error: ${problem}\n`);
    process.exit(1);
  }
  // In a terminal, people read the logs: short lines, `listening on http://…` first. Otherwise
  // (a pipe, a file, a log collector) one JSON object per line.
  const logger = createLogger(config.logLevel, process.stdout.isTTY ? prettyDestination() : undefined);
  const server = await createNexusServer(config, { logger });
  if (config.devMode) logger.warn('NEXUS_JWT_SECRET is not set: dev mode (random secret, POST /api/dev/token enabled)');
  const fleet = config.mockAgents > 0 ? await launchFleet(server, config, logger) : undefined;

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const forced = setTimeout(() => {
      logger.error('shutdown took too long, exiting');
      logger.flush();
      process.exit(0);
    }, Defaults.shutdownTimeoutMs - 500);
    forced.unref();
    fleet?.stop();
    server.close().then(
      () => logger.flush(() => process.exit(0)),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        logger.flush(() => process.exit(0));
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/**
 * The simulated agents run in this process as real WebSocket clients of the server. The server
 * never depends on them: main.ts only launches the module.
 */
async function launchFleet(server: NexusServer, config: NexusConfig, logger: Logger): Promise<{ stop(): void }> {
  const { startFleet } = await import('../mock/index.js');
  const log = logger.child({ module: 'agents' });
  const fleet = startFleet({
    url: server.wsUrl,
    count: config.mockAgents,
    intervalMs: config.mockIntervalMs,
    token: (agentId) => () => server.auth.sign({ userId: agentId, role: Role.Agent }, AGENT_TOKEN_TTL_SECONDS),
    logger: { info: (obj, msg) => log.debug(obj, msg), warn: (obj, msg) => log.warn(obj, msg) },
  });
  logger.info({ count: config.mockAgents, intervalMs: config.mockIntervalMs }, 'simulated agents started');
  return fleet;
}

main().catch((error: unknown) => {
  process.stderr.write(`nexus: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
