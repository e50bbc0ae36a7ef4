/**
 * One chart's annotations from the page's alerts, rules and tasks. Each list keeps its identity
 * while its content is the same (a live chart's time axis moves every second; a band or mark that
 * did not change must not make recharts redraw its layer).
 */
import { useMemo, useRef } from 'react';
import { useStore } from 'zustand';
import type { MetricRule } from '@nexus-realtime/client/protocol';
import { thresholdRules, useAlertRules } from '../../../lib/alert-rules-query';
import type { AnnotatedChart } from '../../../lib/chart-annotations';
import { useCachedTasks } from '../../../lib/tasks-cache';
import { alertsStore } from '../../../store/alerts-store';
import { alertBands, commandMarks, type AlertBand, type CommandMark } from '../utils/annotations';

export interface ChartAnnotationData {
  readonly thresholds: readonly MetricRule[];
  readonly bands: readonly AlertBand[];
  readonly marks: readonly CommandMark[];
}

export function useChartAnnotationData(chart: AnnotatedChart): ChartAnnotationData {
  const { metric, agentIds, fleet, fromMs, toMs } = chart;
  const alerts = useStore(alertsStore, (s) => s.byId);
  const rules = useAlertRules();
  const tasks = useCachedTasks();
  const thresholds = useMemo(() => thresholdRules(rules, metric, agentIds, fleet), [rules, metric, agentIds, fleet]);
  const bands = useMemo(
    () => alertBands(alerts.values(), rules, { metric, agentIds, fleet, fromMs, toMs }),
    [alerts, rules, metric, agentIds, fleet, fromMs, toMs],
  );
  const marks = useMemo(
    () => commandMarks(tasks, { metric, agentIds, fleet, fromMs, toMs }),
    [tasks, metric, agentIds, fleet, fromMs, toMs],
  );
  return { thresholds, bands: useSameItems(bands), marks: useSameItems(marks) };
}

/** `items`, or the previous list when every item has the same fields. */
function useSameItems<T extends object>(items: readonly T[]): readonly T[] {
  const previous = useRef(items);
  if (previous.current !== items && !sameItems(previous.current, items)) previous.current = items;
  return previous.current;
}

export function sameItems<T extends object>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((item, i) => {
    const other = b[i] as Record<string, unknown>;
    const own = item as Record<string, unknown>;
    const keys = Object.keys(own);
    return keys.length === Object.keys(other).length && keys.every((key) => own[key] === other[key]);
  });
}
