/**
 * One metric's chart. It redraws on its own ≈1 Hz timer (offset per chart, so the charts'
 * redraws fall on different frames), straight from the ring buffers; recharts never sees a
 * render per message. Lines are linear, without animation, dots or labels: recharts measures
 * every path it draws, so anything more makes each redraw cost a long main-thread task.
 */
import { memo, useEffect, useState } from 'react';
import { Area, CartesianGrid, ComposedChart, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { telemetryBuffers, telemetryStore } from '../../../store/telemetry-store';
import { buildChartData, TIME_KEY, type ChartData } from '../lib/chart-data';
import { metricLabel } from '../lib/metric-label';

/** A chart redraws at most this often (the charts' only per-data cost). */
export const MIN_REDRAW_MS = 200;
const IDLE_REDRAW_MS = 2000;
const STAGGER_MS = 16;
const EMPTY: ChartData = { rows: [], lines: [], fleet: false, agentCount: 0 };

function draw(metric: string): ChartData {
  const s = telemetryStore.getState();
  return buildChartData({
    buffers: telemetryBuffers,
    metric,
    agents: s.agents,
    hidden: s.hiddenAgents,
    pinned: s.pinnedAgents,
    windowMs: s.windowMs,
    nowMs: Date.now(),
  });
}

/**
 * Redraws when new data arrives, at most once per MIN_REDRAW_MS, offset per chart so the
 * charts' redraws fall on different frames: with agents reporting once a second that is one
 * redraw per chart per second, soon after the data. Also redraws soon when the settings
 * change; never while paused or hidden (on return the charts catch up). Even a first draw or a
 * settings change draws each chart in its own task, one after the other: a dozen recharts
 * renders in one task would hold the page (and the click that caused them) for a long moment.
 */
function useChartData(metric: string, index: number): ChartData {
  const [data, setData] = useState<ChartData>(EMPTY);
  useEffect(() => {
    let lastDrawMs = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const redrawNow = () => {
      timer = undefined;
      if (telemetryStore.getState().paused || document.hidden) return;
      lastDrawMs = performance.now();
      setData(draw(metric));
    };
    const scheduleRedraw = () => {
      if (timer !== undefined) return;
      const waitMs = Math.max(0, lastDrawMs + MIN_REDRAW_MS - performance.now());
      timer = setTimeout(redrawNow, waitMs + index * STAGGER_MS);
    };
    const redrawSoon = () => {
      clearTimeout(timer);
      timer = setTimeout(redrawNow, index * STAGGER_MS);
    };
    redrawSoon();
    const offStore = telemetryStore.subscribe((s, prev) => {
      const settingsChanged =
        s.windowMs !== prev.windowMs ||
        s.hiddenAgents !== prev.hiddenAgents ||
        s.pinnedAgents !== prev.pinnedAgents ||
        s.agents !== prev.agents;
      if (settingsChanged || (s.paused !== prev.paused && !s.paused)) redrawSoon();
      else if (s.version !== prev.version) scheduleRedraw();
    });
    // The time axis moves on even when no data arrives.
    const idle = setInterval(scheduleRedraw, IDLE_REDRAW_MS);
    const onVisible = () => !document.hidden && redrawSoon();
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      clearTimeout(timer);
      clearInterval(idle);
      offStore();
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [metric, index]);
  return data;
}

/** 24-hour HH:MM:SS whatever the locale. */
const timeFormat = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});
const formatTime = (t: number) => timeFormat.format(t);
const formatValue = (v: number) =>
  Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(1)}k` : String(Math.round(v * 10) / 10);

export const MetricChart = memo(function MetricChart({ metric, index }: { metric: string; index: number }) {
  const data = useChartData(metric, index);
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
                  connectNulls
                />
              ))}
            </ComposedChart>
          </ResponsiveContainer>
        )}
      </div>
      <ul className="chart-legend" aria-label={`Current ${label}`}>
        {data.lines.map((line) => (
          <li key={line.dataKey}>
            <span className="swatch" style={{ background: line.color }} aria-hidden="true" /> {line.agentId}{' '}
            <span className="mono">{line.latest === undefined ? '—' : formatValue(line.latest)}</span>
          </li>
        ))}
      </ul>
    </figure>
  );
});
