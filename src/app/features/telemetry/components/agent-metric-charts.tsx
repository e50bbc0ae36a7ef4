/**
 * One agent's metrics over the page's range (the same range picker, zoom and address as the
 * "Telemetry" region): a chart per metric, drawn from the server's rollups of that agent alone
 * (`GET /api/telemetry?agent_id=`) with the telemetry charts' own pieces — axes, series paths,
 * tooltip, drag to zoom, CSV/PNG download. A live range is asked again every few seconds, so the
 * charts move on while the view is open, without a subscription of their own.
 */
import { memo, useMemo, useRef, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { CartesianGrid, ComposedChart, ReferenceArea, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useTelemetry } from '../../../hooks/use-stores';
import { MAX_CHARTS } from '../../../lib/metric-selection';
import { useThresholdValues } from '../../../lib/alert-rules-query';
import { useChartAnnotations } from '../../../lib/chart-annotations';
import { formatClock } from '../../../lib/time-format';
import { chartWindow } from '../../../lib/time-range';
import { TIME_KEY } from '../../../worker';
import { telemetryRollupsQueryOptions } from '../api/get-telemetry-rollups';
import { useDragZoom } from '../hooks/use-drag-zoom';
import { formatValue, timeAxis, valueAxis } from '../lib/axes';
import { metricLabel } from '../lib/metric-label';
import { agentChartData } from '../utils/agent-chart-data';
import { ChartDownloads } from './chart-downloads';
import { RangePicker } from './range-picker';
import { SeriesLayer, SeriesTooltip } from './series-layer';

/** A live range is asked again this often while the agent's view is open. */
export const AGENT_CHART_REFRESH_MS = 5_000;
const MARGIN = { top: 4, right: 26, bottom: 0, left: 0 };
const NO_VERTICAL_LINES = () => [];
const TOOLTIP_WRAPPER = { outline: 'none', zIndex: 2, visibility: 'visible' } as const;

export function AgentMetricCharts({ agentId, metrics }: { agentId: string; metrics: readonly string[] }) {
  const [showAll, setShowAll] = useState(false);
  const shown = showAll ? metrics : metrics.slice(0, MAX_CHARTS);
  return (
    <div>
      <div className="agent-charts-bar" style={{ display: 'flex', gap: 8, alignItems: 'center', flexWrap: 'wrap' }}>
        <RangePicker />
        {metrics.length > MAX_CHARTS && (
          <button type="button" className="btn small" onClick={() => setShowAll(!showAll)}>
            {showAll ? `Show the first ${MAX_CHARTS}` : `Show all ${metrics.length} metrics`}
          </button>
        )}
      </div>
      <div className="charts">
        {shown.map((metric) => (
          <AgentMetricChart key={metric} agentId={agentId} metric={metric} />
        ))}
      </div>
    </div>
  );
}

const AgentMetricChart = memo(function AgentMetricChart({ agentId, metric }: { agentId: string; metric: string }) {
  const { range, zoom } = useTelemetry((s) => ({ range: s.range, zoom: s.zoom }));
  const agentIds = useMemo(() => [agentId], [agentId]);
  const query = useQuery({
    ...telemetryRollupsQueryOptions({ metric, range, zoom, agentIds }),
    refetchInterval: zoom ? false : AGENT_CHART_REFRESH_MS,
  });
  const { answer, updatedMs } = { answer: query.data, updatedMs: query.dataUpdatedAt };
  const data = useMemo(() => {
    const window = chartWindow(range, zoom);
    const toMs = window.endMs ?? updatedMs;
    return agentChartData(answer, agentId, toMs - window.windowMs, toMs);
  }, [answer, updatedMs, agentId, range, zoom]);
  // Alerts: the rules' thresholds stay in sight, and the layout's annotations are drawn over the series.
  const thresholds = useThresholdValues(metric, agentIds, false);
  const axes = useMemo(() => ({ x: timeAxis(data), y: valueAxis(data, thresholds) }), [data, thresholds]);
  const [fromMs, toMs] = axes.x.domain;
  const annotated = useMemo(() => ({ metric, agentIds, fleet: false, fromMs, toMs }), [metric, agentIds, fromMs, toMs]);
  const annotations = useChartAnnotations(annotated);
  const drag = useDragZoom(data.rows);
  const canvasRef = useRef<HTMLDivElement>(null);
  const label = metricLabel(metric);
  const latest = data.lines[0]?.latest;
  return (
    <figure className="chart" aria-label={`${label} chart`}>
      <figcaption className="chart-title">
        <strong>{label}</strong>
        <span className="muted mono">{latest === undefined ? '' : ` ${formatValue(latest)}`}</span>
        <ChartDownloads metric={metric} label={label} data={data} canvasRef={canvasRef} />
      </figcaption>
      <div className="chart-canvas" ref={canvasRef} title="Drag across the chart to zoom">
        {data.rows.length === 0 ? (
          <p className="empty">{query.isPending ? 'Loading…' : 'No data in this range.'}</p>
        ) : (
          <ResponsiveContainer width="100%" height="100%">
            <ComposedChart
              data={data.rows}
              margin={MARGIN}
              onMouseDown={drag.onMouseDown}
              onMouseMove={drag.onMouseMove}
              onMouseUp={drag.onMouseUp}
              onMouseLeave={drag.onMouseLeave}
            >
              <CartesianGrid
                strokeDasharray="3 3"
                stroke="var(--border)"
                vertical={false}
                verticalCoordinatesGenerator={NO_VERTICAL_LINES}
              />
              <XAxis
                dataKey={TIME_KEY}
                type="number"
                scale="time"
                domain={axes.x.domain}
                ticks={axes.x.ticks}
                interval={0}
                allowDataOverflow
                tickFormatter={formatClock}
                stroke="var(--muted)"
                fontSize={11}
              />
              <YAxis
                width={44}
                stroke="var(--muted)"
                fontSize={11}
                tickFormatter={formatValue}
                domain={axes.y.domain}
                ticks={axes.y.ticks}
                interval={0}
                allowDataOverflow
              />
              {annotations}
              <SeriesLayer data={data} />
              {drag.selection && (
                <ReferenceArea
                  x1={drag.selection.fromMs}
                  x2={drag.selection.toMs}
                  fill="var(--accent)"
                  fillOpacity={0.15}
                />
              )}
              <Tooltip
                content={<SeriesTooltip data={data} />}
                isAnimationActive={false}
                wrapperStyle={TOOLTIP_WRAPPER}
              />
            </ComposedChart>
          </ResponsiveContainer>
        )}
      </div>
    </figure>
  );
});
