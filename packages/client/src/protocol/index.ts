/** Public surface of the Nexus protocol: frames, codes, limits, filters. Pure, no I/O. */
export * from './codes.js';
export * from './filters.js';
export * from './json.js';
export * from './limits.js';
export * from './messages.js';
export * from './domain.js';
export * from './task-state.js';
