/** One connection's life: its session and everything that serves only it. */
export { Session, type SessionContext, type SessionCounters } from './session.js';
