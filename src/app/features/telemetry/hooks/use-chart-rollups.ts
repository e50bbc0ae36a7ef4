/**
 * Keeps one chart's rollups loaded in the worker: asked for the chart's range or zoom (and the
 * picked agents, by name), handed over each time an answer arrives.
 */
import { useEffect } from 'react';
import { useTelemetry } from '../../../hooks/use-stores';
import { loadRollups } from '../../../lib/nexus';
import { useTelemetryRollups } from '../api/get-telemetry-rollups';

export function useChartRollups(metric: string): void {
  const { range, zoom, agentIds } = useTelemetry((s) => ({ range: s.range, zoom: s.zoom, agentIds: s.pinnedAgents }));
  const { data } = useTelemetryRollups({ metric, range, zoom, agentIds });
  useEffect(() => {
    if (data) loadRollups(data);
  }, [data]);
}
