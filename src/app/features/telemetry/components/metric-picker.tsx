/**
 * "More metrics": says how many metrics are charted out of how many, and opens a group of
 * toggle buttons, one per metric, to pick which ones get a chart (at most MAX_CHARTS; past that a
 * pick takes the place of the last chart).
 */
import { useId, useState, type CSSProperties } from 'react';
import { useTelemetry } from '../../../hooks/use-stores';
import { telemetryStore } from '../../../store/telemetry-store';
import { metricLabel } from '../lib/metric-label';
import { MAX_CHARTS, toggleMetric } from '../../../lib/metric-selection';

/** Past this many metrics the picker offers a filter box. */
const FILTER_FROM = 24;
const ROW_STYLE: CSSProperties = { display: 'flex', flexWrap: 'wrap', alignItems: 'center', gap: 8, marginBottom: 10 };
const TOGGLES_STYLE: CSSProperties = { flexBasis: '100%', display: 'flex', flexDirection: 'column', gap: 6 };
const GROUP_STYLE: CSSProperties = { maxHeight: 152, marginBottom: 0 };

interface PickerProps {
  /** Every chartable metric, most widely reported first. */
  readonly metrics: readonly string[];
  /** The metrics charted now. */
  readonly shown: readonly string[];
}

export function MetricPicker({ metrics, shown }: PickerProps) {
  const [open, setOpen] = useState(false);
  const groupId = useId();
  const customised = useTelemetry((s) => s.pickedMetrics !== null);
  return (
    <div style={ROW_STYLE}>
      <span className="muted">
        Charts: {shown.length} of {metrics.length} metrics
      </span>
      <button className="btn small" aria-expanded={open} aria-controls={groupId} onClick={() => setOpen(!open)}>
        More metrics
      </button>
      {customised && (
        <button className="btn small" onClick={() => telemetryStore.setState({ pickedMetrics: null })}>
          Default view
        </button>
      )}
      {open && <MetricToggles id={groupId} metrics={metrics} shown={shown} />}
    </div>
  );
}

function MetricToggles({ id, metrics, shown }: PickerProps & { readonly id: string }) {
  const [filter, setFilter] = useState('');
  const shownSet = new Set(shown);
  const full = shown.length >= MAX_CHARTS;
  const needle = filter.trim().toLowerCase();
  const listed = needle
    ? metrics.filter((m) => m.toLowerCase().includes(needle) || metricLabel(m).toLowerCase().includes(needle))
    : metrics;
  const toggle = (metric: string) =>
    telemetryStore.setState((s) => ({ pickedMetrics: toggleMetric(metrics, s.pickedMetrics, metric) }));
  return (
    <div id={id} style={TOGGLES_STYLE}>
      {metrics.length > FILTER_FROM && (
        <input
          aria-label="Filter metrics"
          placeholder="Filter metrics"
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
        />
      )}
      <span className="muted" aria-live="polite">
        {full
          ? `${MAX_CHARTS} charts shown: a new pick takes the place of the last chart.`
          : `Pick up to ${MAX_CHARTS} metrics to chart.`}
      </span>
      <div className="agent-toggles" role="group" aria-label="Metrics" style={GROUP_STYLE}>
        {listed.map((metric) => (
          <button
            key={metric}
            className="chip"
            aria-pressed={shownSet.has(metric)}
            title={metric}
            onClick={() => toggle(metric)}
          >
            {metricLabel(metric)}
          </button>
        ))}
      </div>
    </div>
  );
}
