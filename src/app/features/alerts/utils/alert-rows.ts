/**
 * The Alerts region's rows: firing ones first (critical before warning, then the newest), the
 * resolved ones newest first, and what each row says. Pure, so the order is tested on its own.
 */
import { AlertSeverity, AlertState, isMetricRule, type Alert, type AlertRule } from '@nexus-realtime/client/protocol';
import { timeMs } from '../../../lib/alert';

const SEVERITY_ORDER: Record<string, number> = { [AlertSeverity.Critical]: 0, [AlertSeverity.Warning]: 1 };

function byNewest(a: Alert, b: Alert, field: 'started_at' | 'resolved_at'): number {
  return (timeMs(b[field]) || 0) - (timeMs(a[field]) || 0);
}

/** Firing alerts, the worst and newest first. */
export function firingRows(alerts: Iterable<Alert>): Alert[] {
  return [...alerts]
    .filter((alert) => alert.state === AlertState.Firing)
    .sort(
      (a, b) =>
        (SEVERITY_ORDER[a.severity] ?? 2) - (SEVERITY_ORDER[b.severity] ?? 2) ||
        byNewest(a, b, 'started_at') ||
        a.id.localeCompare(b.id),
    );
}

/** Resolved alerts, the most recently resolved first. */
export function resolvedRows(alerts: Iterable<Alert>): Alert[] {
  return [...alerts]
    .filter((alert) => alert.state === AlertState.Resolved)
    .sort((a, b) => byNewest(a, b, 'resolved_at') || byNewest(a, b, 'started_at') || a.id.localeCompare(b.id));
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
