/**
 * The dashboard's `telemetry` subscription follows what the charts draw (the worker decides, see
 * worker/model/telemetry-demand.ts): every agent while the fleet is small, only the agents drawn
 * as lines once the server's fleet summaries carry the rest. The subscription keeps its one row in
 * the Subscriptions panel, with its filter; one the person removed stays removed.
 */
import { Channel } from '@nexus-realtime/client/protocol';
import type { Filters } from '@nexus-realtime/client';
import { subscriptionsStore } from '../store/subscriptions-store';
import type { WorkerClient } from '../worker';
import { applySubscribeResult, sameSubscription } from './subscription-status';

/** The filter for a demand: none for every agent, else `agent_id` equals one of the list. */
export function demandFilters(agentIds: readonly string[] | null): Filters | undefined {
  return agentIds === null ? undefined : { agent_id: [...agentIds] };
}

/** Re-subscribes `telemetry` with the filter the charts need now (nothing when it is already so). */
export function applyTelemetryDemand(client: WorkerClient, agentIds: readonly string[] | null): void {
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
