/**
 * Alert rules and alerts: what `NEXUS_ALERT_RULES`, `GET`/`PUT /api/alerts/rules` and
 * `GET /api/alerts` carry, and what the server broadcasts on the `alerts` channel.
 */
import { z } from 'zod';

/** How bad an alert is. */
export const AlertSeverity = {
  Warning: 'warning',
  Critical: 'critical',
} as const;
export type AlertSeverity = (typeof AlertSeverity)[keyof typeof AlertSeverity];

/** Where an alert stands. */
export const AlertState = {
  Firing: 'firing',
  Resolved: 'resolved',
} as const;
export type AlertState = (typeof AlertState)[keyof typeof AlertState];

/** Rules that watch something other than a metric. */
export const AlertKind = {
  AgentSilent: 'agent_silent',
  AgentOffline: 'agent_offline',
  TaskFailed: 'task_failed',
} as const;
export type AlertKind = (typeof AlertKind)[keyof typeof AlertKind];

/** Comparisons a threshold rule may use. */
export const ALERT_OPS = ['>', '>=', '<', '<='] as const;
export type AlertOp = (typeof ALERT_OPS)[number];

/** Bounds of the rules and of the alerts kept. */
export const AlertLimits = {
  /** Rules in one set (a file or one `PUT`). */
  maxRules: 500,
  /** Agents one rule may name. */
  maxRuleAgents: 1000,
  /** The longest `for_s`: a day. */
  maxForS: 86_400,
  /** Alerts kept, newest first. */
  maxAlerts: 10_000,
  /** How long an alert is kept. */
  keepMs: 7 * 24 * 3600 * 1000,
  /** `GET /api/alerts?limit=` by default and at most. */
  defaultLimit: 100,
  maxLimit: 10_000,
} as const;

const ruleId = z.string().min(1).max(128);
const severity = z.enum([AlertSeverity.Warning, AlertSeverity.Critical]);
const forS = z.number().finite().min(0).max(AlertLimits.maxForS);

/** A threshold on one metric, for every agent or those listed. */
export const metricRuleSchema = z.strictObject({
  id: ruleId,
  metric: z.string().min(1).max(128),
  op: z.enum(ALERT_OPS),
  value: z.number().finite(),
  for_s: forS,
  severity,
  agents: z.array(z.string().min(1).max(128)).max(AlertLimits.maxRuleAgents).optional(),
});

/** An agent in a state (silent, offline) for `for_s` seconds. */
export const agentStateRuleSchema = z.strictObject({
  id: ruleId,
  kind: z.enum([AlertKind.AgentSilent, AlertKind.AgentOffline]),
  for_s: forS,
  severity,
  agents: z.array(z.string().min(1).max(128)).max(AlertLimits.maxRuleAgents).optional(),
});

/** Each failed task, once. */
export const taskFailedRuleSchema = z.strictObject({
  id: ruleId,
  kind: z.literal(AlertKind.TaskFailed),
  severity,
});

export const alertRuleSchema = z.union([metricRuleSchema, agentStateRuleSchema, taskFailedRuleSchema]);
export type MetricRule = z.infer<typeof metricRuleSchema>;
export type AgentStateRule = z.infer<typeof agentStateRuleSchema>;
export type TaskFailedRule = z.infer<typeof taskFailedRuleSchema>;
/** One alert rule. */
export type AlertRule = z.infer<typeof alertRuleSchema>;

/** Whether a rule is a metric threshold (it has a line to draw on that metric's charts). */
export function isMetricRule(rule: AlertRule): rule is MetricRule {
  return 'metric' in rule;
}

/** One rule for one agent (or one task), as served and broadcast on `alerts`. */
export interface Alert {
  readonly id: string;
  /** The rule's id. */
  readonly rule: string;
  readonly agent_id?: string;
  readonly task_id?: string;
  readonly severity: AlertSeverity;
  readonly state: AlertState;
  /** The metric's value that met the condition (threshold rules), latest while firing. */
  readonly value?: number;
  /** ISO-8601: when the alert fired (its condition had held for the rule's `for_s` by then). */
  readonly started_at: string;
  readonly resolved_at?: string;
  readonly acknowledged_by?: string;
  readonly acknowledged_at?: string;
}
