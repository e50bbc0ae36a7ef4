/** Telemetry rollups: per agent and metric, and per metric for the fleet, at 1 s, 10 s and 1 min. */
export { TelemetryAnswerCache } from './answer-cache.js';
export { FLEET_TOP_AGENTS, type FleetMetricSummary, type FleetSecond } from './bucket-closer.js';
export { createFleetPublisher, FLEET_CLAIM_TTL_MS } from './fleet-publisher.js';
export { RollupEngine, type RollupEngineOptions, type TelemetryAnswer, type TelemetryQuery } from './rollup-engine.js';
export { SILENT_BEFORE_EVICTION_S } from './rollup-memory.js';
export { TOP_AGENTS } from './rollup-reader.js';
export { defaultStep, MAX_DEFAULT_BUCKETS, STEP_NAMES, STEPS, stepSpec, type StepSpec } from './steps.js';
