/** The product's rules: tasks, agents, telemetry rollups and the checks on domain publishes, wired to the broker. */
export { AgentRegistry } from './agents.js';
export { checkDomainPublish, readsPayload, type DomainCheck, type PublishActor } from './commands.js';
export { DEFAULT_TASK_CAPACITY, TaskRegistry, taskJson, type KeptTask, type ListedTask } from './tasks.js';
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
} from './telemetry/index.js';
