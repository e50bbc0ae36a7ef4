/**
 * The "Telemetry" region: a chart per discovered metric (at most MAX_CHARTS at once, the others
 * picked under "More metrics"), range or zoom, pause, agent toggles.
 */
import { useMemo } from 'react';
import { useTelemetry } from '../../../hooks/use-stores';
import { Panel, EmptyState } from '../../../components/panel';
import { telemetryStore } from '../../../store/telemetry-store';
import { chartableMetrics, MAX_CHARTS, shownMetrics } from '../../../lib/metric-selection';
import { useTelemetryMetrics } from '../../../lib/telemetry-metrics-query';
import { AgentToggles } from './agent-toggles';
import { MetricChart } from './metric-chart';
import { MetricPicker } from './metric-picker';
import { RangePicker } from './range-picker';

export function TelemetryPanel() {
  const { heard, picked, paused } = useTelemetry((s) => ({
    heard: s.metrics,
    picked: s.pickedMetrics,
    paused: s.paused,
  }));
  // Until the worker has heard of any metric, the server's list draws the first charts at once.
  const known = useTelemetryMetrics().data;
  const metrics = useMemo(
    () => (heard.length === 0 && known ? known.slice(0, MAX_CHARTS).map((m) => m.metric) : heard),
    [heard, known],
  );
  const chartable = useMemo(() => chartableMetrics(metrics), [metrics]);
  const shown = useMemo(() => shownMetrics(chartable, picked), [chartable, picked]);
  const actions = (
    <>
      <RangePicker />
      <button className="btn small" aria-pressed={paused} onClick={() => telemetryStore.setState({ paused: !paused })}>
        {paused ? 'Resume' : 'Pause'}
      </button>
    </>
  );
  return (
    <Panel title="Telemetry" label="Telemetry" actions={actions}>
      <div className="panel-body">
        <AgentToggles />
        {chartable.length > MAX_CHARTS && <MetricPicker metrics={chartable} shown={shown} />}
        {chartable.length === 0 ? (
          <EmptyState>
            No telemetry yet. Agents publish on the <code>telemetry</code> channel; metrics appear as they arrive.
          </EmptyState>
        ) : shown.length === 0 ? (
          <EmptyState>No metric picked: choose some under “More metrics”, or go back to the default view.</EmptyState>
        ) : (
          <div className="charts">
            {shown.map((metric) => (
              <MetricChart key={metric} metric={metric} />
            ))}
          </div>
        )}
        {paused && (
          <p className="muted" role="note">
            Paused: data keeps arriving and is shown when you resume.
          </p>
        )}
      </div>
    </Panel>
  );
}
