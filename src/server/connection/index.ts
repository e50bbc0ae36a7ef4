/** One connection's life: its session and everything that serves only it. */
export { Session, type SessionContext, type SessionCounters } from './session.js';
export { ConnectionRegistry, type ConnectionContext, type ConnectionRegistryOptions } from './registry.js';
