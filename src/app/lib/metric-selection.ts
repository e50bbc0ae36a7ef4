/**
 * Which metrics get a chart. Drawing a chart costs the page real work (every one redraws about
 * once a second), so however many metrics the fleet reports, at most MAX_CHARTS are drawn; the
 * others are a click away in the metric picker.
 *
 * Default view: the first MAX_CHARTS metrics in the worker's order — those most agents report
 * first, then first seen — so the fleet's own metrics are charted before one agent's made-up
 * names, and a metric that appears later goes after the ones reported as widely. Once the person
 * picks metrics, their picks are shown instead (in the same order), until they go back to the
 * default view.
 */

/** Charts drawn at once. */
export const MAX_CHARTS = 12;

/** Numeric fields that are agent or process bookkeeping, not worth a chart. */
const BOOKKEEPING_FIELDS: ReadonlySet<string> = new Set(['ts', 'timestamp', 'seq']);

/** The metrics that may get a chart, in the order given. */
export function chartableMetrics(metrics: readonly string[]): string[] {
  return metrics.filter((metric) => !BOOKKEEPING_FIELDS.has(metric));
}

/** The metrics charted now: the picked ones (null = default view), at most MAX_CHARTS. */
export function shownMetrics(metrics: readonly string[], picked: readonly string[] | null): string[] {
  if (picked === null) return metrics.slice(0, MAX_CHARTS);
  const pickedSet = new Set(picked);
  return metrics.filter((metric) => pickedSet.has(metric)).slice(0, MAX_CHARTS);
}

/**
 * The picks after the person toggles one metric, starting from what is shown. With MAX_CHARTS
 * already shown, a new one takes the place of the last chart, so every metric is one click away
 * and picking metric after metric pages through them in that last place.
 */
export function toggleMetric(metrics: readonly string[], picked: readonly string[] | null, metric: string): string[] {
  const shown = shownMetrics(metrics, picked);
  if (shown.includes(metric)) return shown.filter((m) => m !== metric);
  return shownMetrics(metrics, [...shown.slice(0, MAX_CHARTS - 1), metric]);
}
