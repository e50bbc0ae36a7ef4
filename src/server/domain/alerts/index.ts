/** Alerts: the rules, their evaluation on per-second values and agent states, once per deployment. */
export { Alerts, type AlertsOptions } from './alert-service.js';
export { MAX_WATCHED_AGENTS, MetricWatch } from './metric-watch.js';
export { compileRules, meets, type AlertSink, type AlertSubject, type CompiledRules } from './rule-set.js';
export { StateWatch } from './state-watch.js';
