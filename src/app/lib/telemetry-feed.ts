/**
 * The dashboard's `telemetry` subscription follows what the charts draw (the worker decides, see
 * worker/model/telemetry-demand.ts): every agent while the fleet is small, only the agents drawn
 * as lines once the server's fleet summaries carry the rest. The subscription keeps its one row in
 * the Subscriptions panel, with its filter; one the person removed stays removed.
 *
 * When the page opens, the server says how large the fleet is (`GET /api/telemetry/metrics`): a
 * large fleet is not subscribed to whole even for a moment (10,000 messages in the first second),
 * the subscription waits for the worker's first demand instead.
 */
import { Channel } from '@nexus-realtime/client/protocol';
import type { Filters } from '@nexus-realtime/client';
import { subscriptionsStore } from '../store/subscriptions-store';
import type { WorkerClient } from '../worker';
import { applySubscribeResult, sameSubscription } from './subscription-status';
import { queryClient } from './query-client';
import { getTelemetryMetrics, TELEMETRY_METRICS_KEY } from './telemetry-metrics-query';
import { MAX_LINES } from '../worker';

/** How long the page waits for the fleet's size before subscribing as for a small fleet. */
export const FLEET_SIZE_TIMEOUT_MS = 1_500;

/** The subscription waits for the worker's first demand (a large fleet). */
let awaitingDemand = false;

/** Agents reporting the most widely reported metric, as the server counts them (0 when unknown). */
async function serverFleetSize(): Promise<number> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    // The charts' own request for the list (the same query, already on its way as the page
    // starts) answers this too: one request, not two.
    const metrics = await Promise.race([
      queryClient.fetchQuery({
        queryKey: TELEMETRY_METRICS_KEY,
        queryFn: ({ signal }) => getTelemetryMetrics(signal),
        staleTime: 0,
        retry: false,
      }),
      new Promise<never>((_, reject) => (timer = setTimeout(reject, FLEET_SIZE_TIMEOUT_MS))),
    ]);
    return Math.max(0, ...metrics.map((m) => m.agents));
  } catch {
    return 0;
  } finally {
    clearTimeout(timer);
  }
}

/** Subscribes `telemetry` as the page opens: whole for a small fleet, else once the charts say which agents. */
export async function startTelemetryFeed(client: WorkerClient): Promise<void> {
  if ((await serverFleetSize()) > MAX_LINES) awaitingDemand = true;
  else subscribeFirst(client, undefined);
}

/** Adds the `telemetry` row (first, as the default subscriptions are listed) and subscribes. */
function subscribeFirst(client: WorkerClient, filters: Filters | undefined): void {
  const channel = Channel.Telemetry;
  if (subscriptionsStore.getState().subscriptions.some((entry) => entry.channel === channel)) return;
  subscriptionsStore.setState((s) => ({
    subscriptions: [{ channel, filters, status: 'pending' }, ...s.subscriptions],
  }));
  void client.subscribe(channel, filters).then((result) => applySubscribeResult(channel, filters, result));
}

/** The filter for a demand: none for every agent, else `agent_id` equals one of the list. */
export function demandFilters(agentIds: readonly string[] | null): Filters | undefined {
  return agentIds === null ? undefined : { agent_id: [...agentIds] };
}

/** Re-subscribes `telemetry` with the filter the charts need now (nothing when it is already so). */
export function applyTelemetryDemand(client: WorkerClient, agentIds: readonly string[] | null): void {
  if (awaitingDemand) {
    awaitingDemand = false;
    return subscribeFirst(client, demandFilters(agentIds));
  }
  const channel = Channel.Telemetry;
  const current = subscriptionsStore.getState().subscriptions.filter((entry) => entry.channel === channel);
  if (current.length !== 1) return; // removed by the person, or several of their own: theirs to manage
  const filters = demandFilters(agentIds);
  if (sameSubscription(current[0]!, channel, filters)) return;
  client.unsubscribe(channel);
  subscriptionsStore.setState((s) => ({
    subscriptions: s.subscriptions.map((entry) =>
      entry.channel === channel ? { channel, filters, status: 'pending' as const } : entry,
    ),
  }));
  void client.subscribe(channel, filters).then((result) => applySubscribeResult(channel, filters, result));
}
