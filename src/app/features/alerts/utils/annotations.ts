/**
 * What a chart draws over its series, worked out from the page's alerts, rules and tasks: alert
 * periods of the agents it draws (shaded bands on the time axis), and the commands sent to them
 * (markers). Pure and bounded per chart, so a fleet with thousands of alerts costs each chart a
 * pass over the list, never a recharts element per alert.
 */
import {
  AlertKind,
  AlertLimits,
  AlertState,
  CommandName,
  isMetricRule,
  TaskStatus,
  type Alert,
  type AlertRule,
  type Task,
} from '@nexus-realtime/client/protocol';
import { timeMs } from '../../../lib/alert';
import type { AnnotatedChart } from '../../../lib/chart-annotations';

/** Bands and markers one chart draws at most (the newest). */
export const MAX_BANDS_PER_CHART = 40;
export const MAX_MARKS_PER_CHART = 60;

/**
 * A firing band runs this far past its start (an alert is kept no longer), cut by the chart's
 * clip: its ends do not follow the time axis, so a live chart moving on every second does not
 * hand recharts a new band (each one is a dispatch to the chart's store and a pass over its
 * selectors). The same holds for a band that starts before the axis: it keeps its own start.
 */
export const FIRING_REACH_MS = AlertLimits.keepMs;

export interface AlertBand {
  readonly alertId: string;
  readonly rule: string;
  readonly agentId: string;
  readonly severity: Alert['severity'];
  readonly firing: boolean;
  readonly fromMs: number;
  readonly toMs: number;
}

/** Rules whose alerts belong on a chart of `metric`: thresholds on it, and an agent's silence or absence. */
function ruleConcerns(rule: AlertRule | undefined, metric: string): boolean {
  if (!rule) return false;
  if (isMetricRule(rule)) return rule.metric === metric;
  return rule.kind === AlertKind.AgentSilent || rule.kind === AlertKind.AgentOffline;
}

/**
 * The periods of the drawn agents' alerts on this chart's metric (and their silent/offline
 * alerts) that overlap its time axis; a firing alert runs past the axis's end (the chart clips).
 */
export function alertBands(alerts: Iterable<Alert>, rules: readonly AlertRule[], chart: AnnotatedChart): AlertBand[] {
  const ruleById = new Map(rules.map((rule) => [rule.id, rule]));
  const drawn = new Set(chart.agentIds);
  const bands: AlertBand[] = [];
  for (const alert of alerts) {
    if (!alert.agent_id || !drawn.has(alert.agent_id) || !ruleConcerns(ruleById.get(alert.rule), chart.metric))
      continue;
    const startedMs = timeMs(alert.started_at);
    const firing = alert.state === AlertState.Firing;
    const endedMs = firing ? startedMs + FIRING_REACH_MS : timeMs(alert.resolved_at);
    if (!(startedMs <= chart.toMs) || !(endedMs >= chart.fromMs)) continue;
    bands.push({
      alertId: alert.id,
      rule: alert.rule,
      agentId: alert.agent_id,
      severity: alert.severity,
      firing,
      fromMs: startedMs,
      toMs: Math.max(endedMs, startedMs),
    });
  }
  return mergeOverlapping(bands)
    .sort((a, b) => b.fromMs - a.fromMs)
    .slice(0, MAX_BANDS_PER_CHART);
}

/**
 * Overlapping periods of one severity as one band (eight agents of a rack going silent together
 * are one shaded period, not eight layers that add up to an opaque block). A merged band is
 * firing when any of its alerts is, and is named after its earliest alert.
 */
function mergeOverlapping(bands: readonly AlertBand[]): AlertBand[] {
  const merged: AlertBand[] = [];
  const sorted = [...bands].sort((a, b) => a.severity.localeCompare(b.severity) || a.fromMs - b.fromMs);
  for (const band of sorted) {
    const last = merged.at(-1);
    if (last && last.severity === band.severity && band.fromMs <= last.toMs) {
      merged[merged.length - 1] = { ...last, toMs: Math.max(last.toMs, band.toMs), firing: last.firing || band.firing };
    } else merged.push(band);
  }
  return merged;
}

export interface CommandMark {
  readonly key: string;
  readonly command: (typeof CommandName)[keyof typeof CommandName];
  readonly taskId: string;
  readonly agentId: string;
  readonly atMs: number;
  /** Who sent it, when the page knows (the task's creator; a cancel's sender is in the task's timeline). */
  readonly by: string | undefined;
  readonly status: Task['status'];
}

/**
 * A mark per command sent to a drawn agent within the time axis: the `execute_task` that created
 * each task, and the `cancel_task` of each cancelled one (at its last update).
 */
export function commandMarks(tasks: readonly Task[], chart: AnnotatedChart): CommandMark[] {
  const drawn = new Set(chart.agentIds);
  const marks: CommandMark[] = [];
  const inAxis = (ms: number) => ms >= chart.fromMs && ms <= chart.toMs;
  for (const task of tasks) {
    if (!task.agent_id || !drawn.has(task.agent_id)) continue;
    const common = { taskId: task.task_id, agentId: task.agent_id, status: task.status };
    const createdMs = timeMs(task.created_at);
    if (inAxis(createdMs))
      marks.push({
        ...common,
        key: `${task.task_id}:x`,
        command: CommandName.ExecuteTask,
        atMs: createdMs,
        by: task.created_by,
      });
    const cancelledMs = timeMs(task.updated_at);
    if (task.status === TaskStatus.Cancelled && inAxis(cancelledMs))
      marks.push({
        ...common,
        key: `${task.task_id}:c`,
        command: CommandName.CancelTask,
        atMs: cancelledMs,
        by: undefined,
      });
  }
  return marks.sort((a, b) => b.atMs - a.atMs).slice(0, MAX_MARKS_PER_CHART);
}

/** The text a mark's hover and accessible name give: what, for which task and agent, who, the task's status. */
export function markText(mark: CommandMark, by: string | undefined = mark.by): string {
  return `${mark.command} ${mark.taskId} → ${mark.agentId}, by ${by ?? 'unknown'}, task ${mark.status}`;
}
