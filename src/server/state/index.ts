/**
 * Shared state other than messages (tasks, one-winner claims, agent presence, the admin control
 * plane): one interface, a one-process and a Redis implementation, and every Redis key name.
 */
export { MemorySharedState, type MemorySharedStateOptions } from './memory-state.js';
export { MemoryAuditStore, matchesAudit, type AuditQuery, type AuditStore, type AuditWrite } from './audit-store.js';
export {
  AGENT_HISTORY_MS,
  AGENT_TRANSITIONS,
  nextAgentState,
  type AgentChange,
  type AgentOp,
  type AgentStateName,
  type AgentStateRecord,
} from './agent-state-rules.js';
export {
  DEFAULT_ALERT_RETENTION,
  MemoryAlertStore,
  alertKey,
  keyOfAlert,
  resolvedAlert,
  type AlertAckOutcome,
  type AlertFireOp,
  type AlertOp,
  type AlertQuery,
  type AlertResolveOp,
  type AlertRetention,
  type AlertRuleSet,
  type AlertStore,
} from './alert-store.js';
export type { AgentStateStore, BeatOutcome, PresenceBatch, PresenceDelta, PresenceStore } from './deployment-stores.js';
export {
  CONTROL_REQUESTS_CHANNEL,
  EPOCH_KEY,
  GENERATION_KEY,
  HISTORY_BYTES_KEY,
  HISTORY_ORDER_KEY,
  KEY_PREFIX,
  MESSAGE_CHANNEL_PREFIX,
  PRESENCE_KEY,
  PROCESSES_KEY,
  TASKS_BY_CREATED_KEY,
  TASKS_KEY,
  channelKey,
  claimKey,
  controlAnswerKey,
  controlRepliesChannel,
  historyKey,
  messageChannel,
  probeKey,
} from './redis-keys.js';
export { RedisSharedState, type RedisSharedStateOptions, type RedisStateLink } from './redis-state.js';
export {
  EMPTY_ROLLUP_ANSWER,
  LocalRollupArchive,
  type AgentBucket,
  type ArchivedMetric,
  type ClosedBuckets,
  type ClosedMetricBucket,
  type FleetBucket,
  type RollupAnswer,
  type RollupArchive,
  type RollupQuery,
  type RollupStep,
} from './rollup-store.js';
export type {
  AgentPresence,
  ControlAnswers,
  ControlHandler,
  ControlPlane,
  SharedState,
  StoredTask,
  TaskStore,
} from './shared-state.js';
