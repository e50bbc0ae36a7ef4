/** The product's rules: tasks, agents, telemetry rollups and the checks on domain publishes, wired to the broker. */
export { AgentRegistry } from './agents.js';
export { Alerts, MetricWatch, compileRules, type AlertsOptions } from './alerts/index.js';
export {
  AuditLog,
  publishAudit,
  type AuditActor,
  type AuditDetails,
  type AuditLogOptions,
  type AuditQuery,
  type AuditRecorder,
} from './audit-log.js';
export { AgentStates, type KnownState } from './agent-states.js';
export { ChannelPresence, LEAVE_GRACE_MS, type PresenceListener, type SessionPresence } from './channel-presence.js';
export { checkDomainPublish, readsPayload, type DomainCheck, type PublishActor } from './commands.js';
export {
  DEFAULT_TASK_CAPACITY,
  TaskRegistry,
  taskDetailJson,
  taskJson,
  type KeptTask,
  type ListedTask,
} from './tasks.js';
export { ACKED_WHEN_KNOWN, createDomain, type DomainOptions } from './wiring.js';
export {
  defaultStep,
  RollupEngine,
  STEP_NAMES,
  stepSpec,
  TOP_AGENTS,
  type StepSpec,
  type TelemetryAnswer,
  type TelemetryQuery,
  SILENT_BEFORE_EVICTION_S,
  TelemetryAnswerCache,
} from './telemetry/index.js';
