/**
 * The Alerts region's rows: firing ones first (critical before warning, then the newest), the
 * resolved ones newest first, and what each row says. Pure, so the order is tested on its own.
 */
import { AlertSeverity, AlertState, isMetricRule, type Alert, type AlertRule } from '@nexus-realtime/client/protocol';
import { timeMs } from '../../../lib/alert';

const SEVERITY_ORDER: Record<string, number> = { [AlertSeverity.Critical]: 0, [AlertSeverity.Warning]: 1 };

/** Sorts by keys read once per alert (a thousand alerts firing at once: no date parsed per comparison). */
function sortBy(alerts: Alert[], keys: (alert: Alert) => readonly number[]): Alert[] {
  return alerts
    .map((alert) => ({ alert, keys: keys(alert) }))
    .sort((a, b) => {
      for (let i = 0; i < a.keys.length; i++) if (a.keys[i] !== b.keys[i]) return a.keys[i]! - b.keys[i]!;
      return a.alert.id < b.alert.id ? -1 : a.alert.id > b.alert.id ? 1 : 0;
    })
    .map(({ alert }) => alert);
}

const newestFirst = (iso: string | undefined) => -(timeMs(iso) || 0);

/** Firing alerts, the worst and newest first. */
export function firingRows(alerts: Iterable<Alert>): Alert[] {
  const firing: Alert[] = [];
  for (const alert of alerts) if (alert.state === AlertState.Firing) firing.push(alert);
  return sortBy(firing, (alert) => [SEVERITY_ORDER[alert.severity] ?? 2, newestFirst(alert.started_at)]);
}

/** Resolved alerts, the most recently resolved first. */
export function resolvedRows(alerts: Iterable<Alert>): Alert[] {
  const resolved: Alert[] = [];
  for (const alert of alerts) if (alert.state === AlertState.Resolved) resolved.push(alert);
  return sortBy(resolved, (alert) => [newestFirst(alert.resolved_at), newestFirst(alert.started_at)]);
}

/** What a rule watches, in a few words: `cpu_usage > 90 for 60 s`, `agent_silent for 30 s`. */
export function ruleText(rule: AlertRule | undefined): string | undefined {
  if (!rule) return undefined;
  if (isMetricRule(rule)) return `${rule.metric} ${rule.op} ${rule.value}${forText(rule.for_s)}`;
  return 'for_s' in rule ? `${rule.kind}${forText(rule.for_s)}` : rule.kind;
}

function forText(forS: number): string {
  return forS > 0 ? ` for ${forS} s` : '';
}

/** What the alert is about: its agent, else its task. */
export function alertSubject(alert: Alert): string {
  return alert.agent_id ?? (alert.task_id ? `task ${alert.task_id}` : '—');
}
