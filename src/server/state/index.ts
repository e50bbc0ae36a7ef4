/**
 * Shared state other than messages (tasks, one-winner claims, agent presence, the admin control
 * plane): one interface, a one-process and a Redis implementation, and every Redis key name.
 */
export { MemorySharedState, type MemorySharedStateOptions } from './memory-state.js';
export { RedisSharedState, type RedisStateLink } from './redis-state.js';
export * from './redis-keys.js';
export type {
  AgentPresence,
  ControlAnswers,
  ControlHandler,
  ControlPlane,
  SharedState,
  StoredTask,
  TaskStore,
} from './shared-state.js';
