/**
 * One metric's chart. It redraws on its own ≈1 Hz timer (offset per chart, so the charts'
 * redraws fall on different frames), straight from the ring buffers; recharts never sees a
 * render per message. Lines are linear, without animation, dots or labels (DESIGN.md §5).
 */
import { memo, useEffect, useState } from 'react';
import { Area, CartesianGrid, ComposedChart, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { telemetryBuffers, telemetryStore } from '../../../store/telemetry-store';
import { buildChartData, type ChartData } from '../lib/chart-data';

export const REDRAW_MS = 1000;
const STAGGER_MS = 120;
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

/** Redraws on a timer, and at once when the settings change; not while paused or hidden. */
function useChartData(metric: string, index: number): ChartData {
  const [data, setData] = useState<ChartData>(EMPTY);
  useEffect(() => {
    const redraw = () => {
      if (!telemetryStore.getState().paused && !document.hidden) setData(draw(metric));
    };
    redraw();
    let interval: ReturnType<typeof setInterval> | undefined;
    const start = setTimeout(() => {
      redraw();
      interval = setInterval(redraw, REDRAW_MS);
    }, (index * STAGGER_MS) % REDRAW_MS);
    const offStore = telemetryStore.subscribe((s, prev) => {
      if (s.windowMs !== prev.windowMs || s.hiddenAgents !== prev.hiddenAgents || s.pinnedAgents !== prev.pinnedAgents || s.agents !== prev.agents) setData(draw(metric));
      else if (s.paused !== prev.paused && !s.paused) setData(draw(metric));
    });
    const onVisible = () => !document.hidden && redraw();
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      clearTimeout(start);
      clearInterval(interval);
      offStore();
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [metric, index]);
  return data;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const formatTime = (t: number) => timeFormat.format(t);
const formatValue = (v: number) => (Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(1)}k` : String(Math.round(v * 10) / 10));

export const MetricChart = memo(function MetricChart({ metric, index }: { metric: string; index: number }) {
  const data = useChartData(metric, index);
  const label = metric.replace(/_/g, ' ');
  return (
    <figure className="chart" aria-label={`${label} chart`}>
      <figcaption className="chart-title">
        <strong>{label}</strong>
        <span className="muted">{data.fleet ? ` · fleet of ${data.agentCount} (min–max band, median) + top ${data.lines.length}` : ''}</span>
      </figcaption>
      <div className="chart-canvas">
        {data.rows.length === 0 ? (
          <p className="empty">Waiting for data…</p>
        ) : (
          <ResponsiveContainer width="100%" height="100%">
            <ComposedChart data={data.rows} syncId="telemetry" margin={{ top: 4, right: 8, bottom: 0, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" vertical={false} />
              <XAxis dataKey="t" type="number" scale="time" domain={['dataMin', 'dataMax']} tickFormatter={formatTime} stroke="var(--muted)" fontSize={11} minTickGap={40} />
              <YAxis width={44} stroke="var(--muted)" fontSize={11} tickFormatter={formatValue} domain={['auto', 'auto']} />
              <Tooltip labelFormatter={(t) => formatTime(Number(t))} isAnimationActive={false} contentStyle={{ background: 'var(--panel)', border: '1px solid var(--border)', fontSize: 12 }} />
              {data.fleet && <Area dataKey="band" name="fleet min–max" stroke="none" fill="var(--muted)" fillOpacity={0.18} isAnimationActive={false} type="linear" />}
              {data.fleet && <Line dataKey="median" name="fleet median" stroke="var(--muted)" strokeDasharray="4 3" dot={false} isAnimationActive={false} type="linear" />}
              {data.lines.map((line) => (
                <Line key={line.agentId} dataKey={line.agentId} stroke={line.color} strokeWidth={1.5} dot={false} activeDot={false} isAnimationActive={false} type="linear" connectNulls />
              ))}
            </ComposedChart>
          </ResponsiveContainer>
        )}
      </div>
      <ul className="chart-legend" aria-label={`Current ${label}`}>
        {data.lines.map((line) => (
          <li key={line.agentId}>
            <span className="swatch" style={{ background: line.color }} aria-hidden="true" /> {line.agentId}{' '}
            <span className="mono">{line.latest === undefined ? '—' : formatValue(line.latest)}</span>
          </li>
        ))}
      </ul>
    </figure>
  );
});
