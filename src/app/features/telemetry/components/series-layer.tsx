/**
 * A chart's series inside recharts' frame: the fleet band, its median and up to 8 agents' lines,
 * as plain SVG paths placed with the frame's own scales, and the tooltip that reads their values
 * at the hovered time. Paths are built only when the data or the chart's size changes.
 */
import { memo, useMemo } from 'react';
import { useXAxisScale, useYAxisScale, type TooltipContentProps } from 'recharts';
import { formatClock } from '../../../lib/time-format';
import type { ChartData } from '../../../worker';
import { bandPath, linePath, type Scale } from '../lib/series-paths';
import { formatValue } from '../lib/axes';

const FLEET_COLOUR = 'var(--muted)';

export const SeriesLayer = memo(function SeriesLayer({ data }: { data: ChartData }) {
  const x = useXAxisScale() as Scale | undefined;
  const y = useYAxisScale() as Scale | undefined;
  const paths = useMemo(() => {
    if (!x || !y) return undefined;
    return {
      band: data.fleet ? bandPath(data.rows, x, y) : '',
      median: data.fleet ? linePath(data.rows, 'median', x, y) : '',
      lines: data.lines.map((line) => linePath(data.rows, line.dataKey, x, y)),
    };
  }, [data, x, y]);
  if (!paths) return null;
  return (
    <g className="series" pointerEvents="none">
      {paths.band && <path className="series-band" d={paths.band} fill={FLEET_COLOUR} fillOpacity={0.18} />}
      {paths.median && (
        <path
          className="series-median"
          d={paths.median}
          fill="none"
          stroke={FLEET_COLOUR}
          strokeDasharray="4 3"
          strokeWidth={1}
        />
      )}
      {data.lines.map((line, i) => (
        <path
          key={line.dataKey}
          className="series-line"
          data-agent={line.agentId}
          d={paths.lines[i]}
          fill="none"
          stroke={line.color}
          strokeWidth={1.5}
          strokeLinejoin="round"
        />
      ))}
    </g>
  );
});

/** The values at the hovered time: the fleet's band and median, then each drawn agent. */
export function SeriesTooltip({ data, active, activeIndex }: { data: ChartData } & Partial<TooltipContentProps>) {
  const row = active && activeIndex !== undefined && activeIndex !== null ? data.rows[Number(activeIndex)] : undefined;
  if (!row) return null;
  const items = data.lines
    .map((line) => ({ name: line.agentId, color: line.color, value: row[line.dataKey] }))
    .filter((item) => item.value !== undefined);
  return (
    <div className="chart-tooltip">
      <div className="mono">{formatClock(row.time)}</div>
      {row.band && (
        <div className="muted">
          fleet {formatValue(row.band[0])}–{formatValue(row.band[1])}
          {row.median !== undefined ? ` · median ${formatValue(row.median)}` : ''}
        </div>
      )}
      {items.map((item) => (
        <div key={item.name}>
          <span className="swatch" style={{ background: item.color }} aria-hidden="true" /> {item.name}{' '}
          <span className="mono">{formatValue(item.value!)}</span>
        </div>
      ))}
    </div>
  );
}
