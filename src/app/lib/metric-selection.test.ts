import { describe, expect, it } from 'vitest';
import { chartableMetrics, MAX_CHARTS, shownMetrics, toggleMetric } from './metric-selection';

const many = (count: number) => Array.from({ length: count }, (_, i) => `metric_${i}`);

describe('metric selection', () => {
  it('charts at most 12 metrics by default: the first ones seen', () => {
    expect(MAX_CHARTS).toBe(12);
    const metrics = many(400);
    expect(shownMetrics(metrics, null)).toEqual(metrics.slice(0, 12));
    expect(shownMetrics(many(5), null)).toEqual(many(5));
  });

  it('keeps the default view stable when new metrics appear', () => {
    const before = shownMetrics(many(20), null);
    expect(shownMetrics([...many(20), 'aaa_new'], null)).toEqual(before);
  });

  it('leaves bookkeeping fields out of the charts', () => {
    expect(chartableMetrics(['ts', 'cpu_usage', 'timestamp', 'seq', 'memory_mb'])).toEqual(['cpu_usage', 'memory_mb']);
  });

  it('shows picked metrics in the order of the metric list, never more than 12', () => {
    const metrics = many(30);
    expect(shownMetrics(metrics, ['metric_20', 'metric_3', 'gone'])).toEqual(['metric_3', 'metric_20']);
    expect(shownMetrics(metrics, metrics)).toHaveLength(MAX_CHARTS);
  });

  it('toggles from what is shown; a thirteenth takes the place of the last chart', () => {
    const metrics = many(30);
    const hidden = toggleMetric(metrics, null, 'metric_0');
    expect(hidden).toEqual(metrics.slice(1, 12));
    const added = toggleMetric(metrics, hidden, 'metric_25');
    expect(added).toEqual([...metrics.slice(1, 12), 'metric_25']);
    expect(toggleMetric(metrics, added, 'metric_26')).toEqual([...metrics.slice(1, 12), 'metric_26']);
    expect(toggleMetric(metrics, null, 'metric_20')).toEqual([...metrics.slice(0, 11), 'metric_20']);
    // The newcomer takes its place in the order of the metric list.
    expect(toggleMetric(metrics, added, 'metric_0')).toEqual(metrics.slice(0, 12));
  });

  it('handles metric names like __proto__ and hasOwnProperty', () => {
    const metrics = ['__proto__', 'hasOwnProperty', 'constructor'];
    expect(shownMetrics(metrics, ['hasOwnProperty'])).toEqual(['hasOwnProperty']);
    expect(toggleMetric(metrics, null, '__proto__')).toEqual(['hasOwnProperty', 'constructor']);
  });
});
