/**
 * What a chart draws over its series, worked out from the page's alerts, rules and tasks: alert
 * periods of the agents it draws (shaded bands on the time axis), and the commands sent to them
 * (markers). Pure and bounded per chart, so a fleet with thousands of alerts costs each chart a
 * pass over the list, never a recharts element per alert.
 */
import {
  AlertKind,
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
 * alerts) that overlap its time axis, cut to it; a firing alert runs to the axis's end.
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
    const endedMs = firing ? chart.toMs : timeMs(alert.resolved_at);
    if (!(startedMs <= chart.toMs) || !(endedMs >= chart.fromMs)) continue;
    bands.push({
      alertId: alert.id,
      rule: alert.rule,
      agentId: alert.agent_id,
      severity: alert.severity,
      firing,
      fromMs: Math.max(startedMs, chart.fromMs),
      toMs: Math.max(Math.min(endedMs, chart.toMs), Math.max(startedMs, chart.fromMs)),
    });
  }
  return bands.sort((a, b) => b.fromMs - a.fromMs).slice(0, MAX_BANDS_PER_CHART);
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
