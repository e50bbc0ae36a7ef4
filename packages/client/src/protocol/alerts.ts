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
  /** The metric's value (that second's average) when a threshold rule fired. */
  readonly value?: number;
  /** ISO-8601: when the alert fired (its condition had held for the rule's `for_s` by then). */
  readonly started_at: string;
  readonly resolved_at?: string;
  readonly acknowledged_by?: string;
  readonly acknowledged_at?: string;
}

/** The answer of `checkAlertRules`: the rules, or what is wrong with the first bad one. */
export type AlertRulesCheck =
  { readonly ok: true; readonly rules: AlertRule[] } | { readonly ok: false; readonly message: string };

/** The schema a rule's shape asks for: a metric threshold, or one of the kinds. */
function schemaOf(rule: Record<string, unknown>) {
  if ('metric' in rule) return metricRuleSchema;
  if (rule.kind === AlertKind.TaskFailed) return taskFailedRuleSchema;
  if (rule.kind === AlertKind.AgentSilent || rule.kind === AlertKind.AgentOffline) return agentStateRuleSchema;
  return undefined;
}

/**
 * Checks a whole rule set (a file, a `PUT` body): an array of at most `AlertLimits.maxRules`
 * rules with distinct ids. The message names the first bad rule by index and id, and what is
 * wrong with it, so a person can find it in a long file.
 */
export function checkAlertRules(value: unknown): AlertRulesCheck {
  if (!Array.isArray(value)) return { ok: false, message: 'rules must be a JSON array' };
  if (value.length > AlertLimits.maxRules) return { ok: false, message: `at most ${AlertLimits.maxRules} rules` };
  const rules: AlertRule[] = [];
  const ids = new Set<string>();
  for (const [index, item] of value.entries()) {
    const raw =
      typeof item === 'object' && item !== null && !Array.isArray(item) ? (item as Record<string, unknown>) : {};
    const name = typeof raw.id === 'string' ? `rule ${index} (id "${raw.id.slice(0, 128)}")` : `rule ${index}`;
    const schema = schemaOf(raw);
    if (schema === undefined)
      return {
        ok: false,
        message: `${name}: needs a "metric", or a "kind" of agent_silent, agent_offline or task_failed`,
      };
    const parsed = schema.safeParse(item);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
      return { ok: false, message: `${name}: ${where}${issue?.message ?? 'invalid'}` };
    }
    if (ids.has(parsed.data.id)) return { ok: false, message: `${name}: duplicate id` };
    ids.add(parsed.data.id);
    rules.push(parsed.data);
  }
  return { ok: true, rules };
}
