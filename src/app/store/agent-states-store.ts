/**
 * Agent states heard live on the `agents` channel, newest per agent. Filled in batches (at most
 * once per animation frame, lib/agent-states-feed.ts), so a thousand agents dropping at once
 * cost the page one update, not a thousand renders. Readers merge it with what REST answered,
 * the newer `since` winning.
 */
import { createStore } from 'zustand/vanilla';
import type { AgentStateChange } from '../lib/agent-state';

export interface AgentStatesSlice {
  /** The latest change heard per agent. */
  readonly byId: ReadonlyMap<string, AgentStateChange>;
}

export const agentStatesStore = createStore<AgentStatesSlice>(() => ({ byId: new Map() }));

/** Applies a batch in arrival order; an older change never replaces a newer one. */
export function applyStateChanges(changes: readonly AgentStateChange[]): void {
  if (changes.length === 0) return;
  const next = new Map(agentStatesStore.getState().byId);
  let changed = false;
  for (const change of changes) {
    const known = next.get(change.agentId);
    if (known && known.sinceMs > change.sinceMs) continue;
    next.set(change.agentId, change);
    changed = true;
  }
  if (changed) agentStatesStore.setState({ byId: next });
}
