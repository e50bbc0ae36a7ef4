/**
 * The first charts' data is asked for as the page starts, not once the charts' code has loaded
 * and their components have mounted: the metric list, then the rollups of each chart the linked
 * view shows first, under the very query keys the charts use (use-chart-rollups.ts), so a chart
 * that mounts finds its answer cached or on its way. On a busy server every request waits its turn,
 * so starting this chain a few hundred milliseconds earlier brings the hour onto the screen as much
 * sooner.
 */
import { chartableMetrics, MAX_CHARTS, shownMetrics } from '../../../lib/metric-selection';
import { queryClient } from '../../../lib/query-client';
import { telemetryMetricsQueryOptions } from '../../../lib/telemetry-metrics-query';
import { telemetryStore } from '../../../store/telemetry-store';
import { telemetryRollupsQueryOptions } from './get-telemetry-rollups';

/** The metric list, then the rollups of the charts shown first (errors are the charts' own to show). */
export async function prefetchTelemetry(): Promise<void> {
  const known = await queryClient.fetchQuery(telemetryMetricsQueryOptions()).catch(() => undefined);
  if (!known || known.length === 0) return;
  const { range, zoom, pinnedAgents, pickedMetrics } = telemetryStore.getState();
  // As the panel chooses its first charts (telemetry-panel.tsx) and each chart its agents: the
  // picked ones, else (nothing drawn yet) the server's top agents.
  const metrics = shownMetrics(chartableMetrics(known.slice(0, MAX_CHARTS).map((m) => m.metric)), pickedMetrics);
  for (const metric of metrics)
    void queryClient.prefetchQuery(telemetryRollupsQueryOptions({ metric, range, zoom, agentIds: pinnedAgents }));
}
