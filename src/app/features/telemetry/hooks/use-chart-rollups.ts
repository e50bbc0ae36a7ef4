/**
 * Keeps one chart's rollups loaded in the worker: asked for the chart's range or zoom, handed over
 * each time an answer arrives. The agents are asked for by name when the chart draws a chosen set
 * over a fleet's band — the picked ones, or the latest top agents the chart draws — so their lines
 * reach back over the whole range; otherwise the server answers its top agents over the range.
 */
import { useEffect, useMemo } from 'react';
import { useStore } from 'zustand';
import { useTelemetry } from '../../../hooks/use-stores';
import { loadRollups } from '../../../lib/nexus';
import { chartStore } from '../../../store/chart-store';
import { useTelemetryRollups } from '../api/get-telemetry-rollups';

/** The agents of a fleet chart's lines, as one stable string (changes only when the set does). */
function useDrawnTop(metric: string): string {
  return useStore(chartStore, (s) => {
    const chart = s.charts.get(metric);
    return chart?.fleet
      ? chart.lines
          .map((line) => line.agentId)
          .sort()
          .join('\n')
      : '';
  });
}

export function useChartRollups(metric: string): void {
  const { range, zoom, pinned } = useTelemetry((s) => ({ range: s.range, zoom: s.zoom, pinned: s.pinnedAgents }));
  const drawnTop = useDrawnTop(metric);
  const agentIds = useMemo(
    () => (pinned.length > 0 ? pinned : zoom || drawnTop === '' ? [] : drawnTop.split('\n')),
    [pinned, zoom, drawnTop],
  );
  const { data } = useTelemetryRollups({ metric, range, zoom, agentIds });
  useEffect(() => {
    if (data) loadRollups(data);
  }, [data]);
}
