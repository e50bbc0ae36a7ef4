/**
 * One agent's line over a range, from the server's rollups (`GET /api/telemetry?agent_id=`), in
 * the shape the charts draw (ChartData): the bucket averages, a break wherever buckets are missing
 * (an outage or a silent agent is a gap, never a straight line and never 0), and a time axis that
 * spans the whole range, so a stretch with no data at either end shows as empty space.
 */
import { seriesColor } from '../../../lib/colors';
import { TIME_KEY, type AgentRollup, type ChartData, type ChartRow, type RollupAnswer } from '../../../worker';

/** A hole longer than this many steps is a break. */
const BREAK_STEPS = 1.5;
const LINE = 'line0' as const;

function row(timeMs: number, value: number | undefined): ChartRow {
  const out = Object.create(null) as ChartRow;
  out[TIME_KEY] = timeMs;
  if (value !== undefined) out[LINE] = value;
  return out;
}

/** The agent's series of `answer` as chart data over [fromMs, toMs]. */
export function agentChartData(
  answer: RollupAnswer | null | undefined,
  agentId: string,
  fromMs: number,
  toMs: number,
): ChartData {
  const series: readonly AgentRollup[] = answer?.agents.get(agentId) ?? [];
  const inRange = series.filter((bucket) => bucket.t >= fromMs - (answer?.stepMs ?? 0) && bucket.t <= toMs);
  if (inRange.length === 0) return { rows: [], lines: [], fleet: false, agentCount: 0, endMs: toMs };
  const stepMs = answer?.stepMs ?? 1_000;
  const rows: ChartRow[] = [row(Math.min(fromMs, inRange[0]!.t), undefined)];
  let previous: number | undefined;
  for (const bucket of inRange) {
    if (previous !== undefined && bucket.t - previous > stepMs * BREAK_STEPS)
      rows.push(row(previous + stepMs, undefined));
    rows.push(row(bucket.t, bucket.avg));
    previous = bucket.t;
  }
  return {
    rows,
    lines: [{ agentId, dataKey: LINE, color: seriesColor(0), latest: inRange.at(-1)!.last }],
    fleet: false,
    agentCount: 1,
    endMs: toMs,
  };
}
