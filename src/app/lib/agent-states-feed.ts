/**
 * The page's subscription to `agents`, the server's agent state changes: not a row of the
 * Subscriptions panel (like `telemetry.fleet`, it is the page's own), re-subscribed with the
 * client's other subscriptions after a reconnect. Changes are applied once per animation frame.
 */
import { Channel } from '@nexus-realtime/client/protocol';
import { applyStateChanges } from '../store/agent-states-store';
import type { WorkerClient } from '../worker';
import { parseStateChange, type AgentStateChange } from './agent-state';
import { createFrameScheduler } from './frame-scheduler';

/** Subscribes and feeds the store; returns `off()`. */
export function startAgentStatesFeed(client: Pick<WorkerClient, 'on' | 'subscribe'>): () => void {
  const pending: AgentStateChange[] = [];
  const scheduler = createFrameScheduler(() => applyStateChanges(pending.splice(0)));
  const off = client.on(Channel.Agents, (data) => {
    const change = parseStateChange(data);
    if (!change) return;
    pending.push(change);
    scheduler.schedule();
  });
  void client.subscribe(Channel.Agents);
  return () => {
    off();
    scheduler.cancel();
  };
}
