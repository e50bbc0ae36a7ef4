/**
 * `GET /api/alerts/rules`: the alert rules — fetcher, query options and hook. The charts draw
 * the threshold of every rule on their metric, and the Alerts region names a rule's metric; one
 * cache serves both. Rules change rarely (an admin's `PUT`), so they are asked again every half
 * minute and after every reconnect (the bridge refreshes every query then).
 */
import { queryOptions, useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { alertRuleSchema, isMetricRule, Paths, type AlertRule, type MetricRule } from '@nexus-realtime/client/protocol';
import { ApiError, apiGet } from './api-client';

export const ALERT_RULES_REFRESH_MS = 30_000;
export const ALERT_RULES_KEY = ['alert-rules'] as const;

/** The rules, each checked at the edge (a malformed one is left out); none when the server has no alerts (404). */
export async function getAlertRules(signal?: AbortSignal): Promise<AlertRule[]> {
  try {
    const rows = await apiGet<unknown>(Paths.alertRules, signal);
    if (!Array.isArray(rows)) return [];
    return rows.flatMap((row) => {
      const parsed = alertRuleSchema.safeParse(row);
      return parsed.success ? [parsed.data] : [];
    });
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return [];
    throw error;
  }
}

export function alertRulesQueryOptions() {
  return queryOptions({
    queryKey: ALERT_RULES_KEY,
    queryFn: ({ signal }) => getAlertRules(signal),
    refetchInterval: ALERT_RULES_REFRESH_MS,
  });
}

const NO_RULES: readonly AlertRule[] = [];

export function useAlertRules(): readonly AlertRule[] {
  return useQuery(alertRulesQueryOptions()).data ?? NO_RULES;
}

/**
 * The threshold rules on `metric` that concern a chart drawing `agentIds` (`fleet`: it draws the
 * whole fleet's band, so every rule on the metric does): a rule without an agent list, or naming
 * one of them.
 */
export function thresholdRules(
  rules: readonly AlertRule[],
  metric: string,
  agentIds: readonly string[],
  fleet: boolean,
): MetricRule[] {
  return rules.filter(
    (rule): rule is MetricRule =>
      isMetricRule(rule) &&
      rule.metric === metric &&
      (fleet || !rule.agents || rule.agents.some((agent) => agentIds.includes(agent))),
  );
}

/** The threshold values a chart's value axis should reach, so every line drawn is in sight. */
export function useThresholdValues(metric: string, agentIds: readonly string[], fleet: boolean): readonly number[] {
  const rules = useAlertRules();
  const key = thresholdRules(rules, metric, agentIds, fleet)
    .map((rule) => rule.value)
    .join(',');
  // A string key: the same values give the same array, so the chart's axes are not recomputed.
  return useMemo(() => (key === '' ? [] : key.split(',').map(Number)), [key]);
}
