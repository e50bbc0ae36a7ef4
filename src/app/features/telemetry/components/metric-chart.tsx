/**
 * One metric's chart, drawn from the data the worker prepared (downsampled, ≤ 8 lines plus
 * the fleet band) and handed over one chart per animation frame. Recharts draws the frame — axes,
 * grid, the hover cursor and tooltip — and the series are our own SVG paths inside it, placed by
 * recharts' scales (series-layer.tsx): recharts' `Line` measures every path it draws and keeps
 * per-line state in its store, which made each redraw a long main-thread task.
 */
import { memo, useMemo, useRef } from 'react';
import { CartesianGrid, ComposedChart, ReferenceArea, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useStore } from 'zustand';
import { useThresholdValues } from '../../../lib/alert-rules-query';
import { useChartAnnotations } from '../../../lib/chart-annotations';
import { formatClock } from '../../../lib/time-format';
import { chartStore } from '../../../store/chart-store';
import { TIME_KEY, type ChartData } from '../../../worker';
import { metricLabel } from '../lib/metric-label';
import { formatValue, timeAxis, valueAxis } from '../lib/axes';
import { useChartRollups } from '../hooks/use-chart-rollups';
import { useDragZoom } from '../hooks/use-drag-zoom';
import { ChartDownloads } from './chart-downloads';
import { SeriesLayer, SeriesTooltip } from './series-layer';

const EMPTY: ChartData = { rows: [], lines: [], fleet: false, agentCount: 0, endMs: 0 };
/** Room on the right for half a time label: a tick at the very end of the axis is not cut off. */
const MARGIN = { top: 4, right: 26, bottom: 0, left: 0 };
/** Horizontal grid lines only; without this recharts works out (and measures) vertical ones it does not draw. */
const NO_VERTICAL_LINES = () => [];
// Visible while hovering although the tooltip has no recharts payload (the series are ours);
// SeriesTooltip draws nothing when no time is hovered.
const TOOLTIP_WRAPPER = { outline: 'none', zIndex: 2, visibility: 'visible' } as const;

function useChartData(metric: string): ChartData {
  return useStore(chartStore, (s) => s.charts.get(metric) ?? EMPTY);
}

/** Each line's latest value: from the newest legend update, else from the chart itself. */
function useLatest(metric: string, lines: ChartData['lines']): (number | undefined)[] {
  const latest = useStore(chartStore, (s) => s.latest.get(metric));
  return lines.map((line, i) => {
    const value = latest && latest.length === lines.length ? latest[i]! : NaN;
    return Number.isNaN(value) ? line.latest : value;
  });
}

export const MetricChart = memo(function MetricChart({ metric }: { metric: string }) {
  const data = useChartData(metric);
  const label = metricLabel(metric);
  const agentKey = data.lines.map((line) => line.agentId).join('\n');
  const agentIds = useMemo(() => (agentKey === '' ? [] : agentKey.split('\n')), [agentKey]);
  const thresholds = useThresholdValues(metric, agentIds, data.fleet);
  const axes = useMemo(() => ({ x: timeAxis(data), y: valueAxis(data, thresholds) }), [data, thresholds]);
  const [fromMs, toMs] = axes.x.domain;
  const annotated = useMemo(
    () => ({ metric, agentIds, fleet: data.fleet, fromMs, toMs }),
    [metric, agentIds, data.fleet, fromMs, toMs],
  );
  const annotations = useChartAnnotations(annotated);
  const zoom = useDragZoom(data.rows);
  useChartRollups(metric);
  const canvasRef = useRef<HTMLDivElement>(null);
  return (
    <figure className="chart" aria-label={`${label} chart`}>
      <figcaption className="chart-title">
        <strong>{label}</strong>
        <span className="muted">
          {data.fleet ? ` · fleet of ${data.agentCount} (min–max band, median) + top ${data.lines.length}` : ''}
        </span>
        <ChartDownloads metric={metric} label={label} data={data} canvasRef={canvasRef} />
      </figcaption>
      <div className="chart-canvas" ref={canvasRef} title="Drag across the chart to zoom">
        {data.rows.length === 0 ? (
          <p className="empty">Waiting for data…</p>
        ) : (
          <ResponsiveContainer width="100%" height="100%">
            <ComposedChart
              data={data.rows}
              syncId="telemetry"
              margin={MARGIN}
              onMouseDown={zoom.onMouseDown}
              onMouseMove={zoom.onMouseMove}
              onMouseUp={zoom.onMouseUp}
              onMouseLeave={zoom.onMouseLeave}
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
              {/* Ranges and ticks are ours (lib/axes.ts): no recharts series to derive them from, no label measuring. */}
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
              {zoom.selection && (
                <ReferenceArea
                  x1={zoom.selection.fromMs}
                  x2={zoom.selection.toMs}
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
      <Legend metric={metric} label={label} lines={data.lines} />
    </figure>
  );
});

/** The legend updates on its own (cheap text) between redraws of the chart. */
const Legend = memo(function Legend({
  metric,
  label,
  lines,
}: {
  metric: string;
  label: string;
  lines: ChartData['lines'];
}) {
  const latest = useLatest(metric, lines);
  return (
    <ul className="chart-legend" aria-label={`Current ${label}`}>
      {lines.map((line, i) => (
        <li key={line.dataKey}>
          <span className="swatch" style={{ background: line.color }} aria-hidden="true" /> {line.agentId}{' '}
          <span className="mono">{latest[i] === undefined ? '—' : formatValue(latest[i])}</span>
        </li>
      ))}
    </ul>
  );
});
