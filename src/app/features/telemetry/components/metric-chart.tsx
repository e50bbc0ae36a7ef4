/**
 * One metric's chart, drawn from the data the data plane prepared (downsampled, ≤ 8 lines plus
 * the fleet band) and handed over one chart per animation frame; recharts never sees a render
 * per message. Lines are linear, without animation, dots or labels: recharts measures every path
 * it draws, so anything more makes each redraw cost a long main-thread task.
 */
import { memo } from 'react';
import { Area, CartesianGrid, ComposedChart, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useStore } from 'zustand';
import { formatClock } from '../../../lib/time-format';
import { chartStore } from '../../../store/chart-store';
import { TIME_KEY, type ChartData } from '../lib/chart-data';
import { metricLabel } from '../lib/metric-label';

const EMPTY: ChartData = { rows: [], lines: [], fleet: false, agentCount: 0 };

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

const formatTime = (t: number) => formatClock(t);
const formatValue = (v: number) =>
  Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(1)}k` : String(Math.round(v * 10) / 10);

export const MetricChart = memo(function MetricChart({ metric }: { metric: string }) {
  const data = useChartData(metric);
  const label = metricLabel(metric);
  return (
    <figure className="chart" aria-label={`${label} chart`}>
      <figcaption className="chart-title">
        <strong>{label}</strong>
        <span className="muted">
          {data.fleet ? ` · fleet of ${data.agentCount} (min–max band, median) + top ${data.lines.length}` : ''}
        </span>
      </figcaption>
      <div className="chart-canvas">
        {data.rows.length === 0 ? (
          <p className="empty">Waiting for data…</p>
        ) : (
          <ResponsiveContainer width="100%" height="100%">
            <ComposedChart data={data.rows} syncId="telemetry" margin={{ top: 4, right: 8, bottom: 0, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" vertical={false} />
              <XAxis
                dataKey={TIME_KEY}
                type="number"
                scale="time"
                domain={['dataMin', 'dataMax']}
                tickFormatter={formatTime}
                stroke="var(--muted)"
                fontSize={11}
                minTickGap={40}
              />
              <YAxis
                width={44}
                stroke="var(--muted)"
                fontSize={11}
                tickFormatter={formatValue}
                domain={['auto', 'auto']}
              />
              <Tooltip
                labelFormatter={(t) => formatTime(Number(t))}
                isAnimationActive={false}
                contentStyle={{ background: 'var(--panel)', border: '1px solid var(--border)', fontSize: 12 }}
              />
              {data.fleet && (
                <Area
                  dataKey="band"
                  name="fleet min–max"
                  stroke="none"
                  fill="var(--muted)"
                  fillOpacity={0.18}
                  isAnimationActive={false}
                  type="linear"
                />
              )}
              {data.fleet && (
                <Line
                  dataKey="median"
                  name="fleet median"
                  stroke="var(--muted)"
                  strokeDasharray="4 3"
                  dot={false}
                  isAnimationActive={false}
                  type="linear"
                />
              )}
              {data.lines.map((line) => (
                <Line
                  key={line.dataKey}
                  dataKey={line.dataKey}
                  name={line.agentId}
                  stroke={line.color}
                  strokeWidth={1.5}
                  dot={false}
                  activeDot={false}
                  isAnimationActive={false}
                  type="linear"
                  connectNulls={false}
                />
              ))}
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
