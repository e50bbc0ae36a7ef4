/**
 * Public surface of the Nexus protocol: frames, codes, limits, filters, domain channels. Pure, no
 * I/O. The modules the client itself needs (codes, limits, json, filters, frames) have no
 * dependency; the zod schemas the server validates with (messages, filters-schema, domain) are
 * separate modules, so a bundler leaves them (and zod) out of a client-only bundle.
 */
export * from './admin.js';
export * from './alerts.js';
export * from './audit.js';
export * from './codes.js';
export * from './filters.js';
export * from './filters-schema.js';
export * from './frames.js';
export * from './json.js';
export * from './limits.js';
export * from './messages.js';
export * from './domain.js';
export * from './task-state.js';
