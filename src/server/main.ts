/**
 * Process entry point: environment → config → server; SIGINT/SIGTERM → graceful shutdown
 * (close every WebSocket with 1012, finish in-flight requests, flush logs, exit 0 within 10 s).
 */
import { Defaults } from '../protocol/index.js';
import { ConfigError, loadConfig, type NexusConfig } from './config.js';
import { createLogger } from './logger.js';
import { createNexusServer } from './server.js';

async function main(): Promise<void> {
  let config: NexusConfig;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) process.stderr.write(`nexus: configuration error: ${problem}\n`);
    process.exit(1);
  }
  const logger = createLogger(config.logLevel);
  if (config.devMode) logger.warn('NEXUS_JWT_SECRET is not set: dev mode (random secret, POST /api/dev/token enabled)');
  const server = await createNexusServer(config, { logger });

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

main().catch((error: unknown) => {
  process.stderr.write(`nexus: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
