/**
 * `nexus-realtime`: the Nexus server, to embed in a Node.js program.
 *
 * ```ts
 * import { createNexusServer, loadConfig } from 'nexus-realtime';
 *
 * // The same variables as `npx nexus-realtime` (PORT, NEXUS_JWT_SECRET, NEXUS_REDIS_URL, …).
 * const server = await createNexusServer(loadConfig(process.env));
 * console.log(server.url, server.wsUrl);
 * await server.close();
 * ```
 *
 * The client is `nexus-realtime/client` (an alias of `@nexus-realtime/client`).
 */
export { createNexusServer } from './server/server.js';
export type { HttpTimeouts, NexusServer, NexusServerDeps } from './server/server.js';
export { ConfigError, loadConfig, MIN_SECRET_BYTES } from './server/config.js';
export type { LogLevel, NexusConfig } from './server/config.js';
export { createLogger } from './server/logger.js';
export type { Logger } from './server/logger.js';
export type { Auth, Principal } from './server/auth.js';
export type { Broker } from './server/broker/broker.js';
