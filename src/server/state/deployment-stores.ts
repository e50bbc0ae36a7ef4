/**
 * The deployment-wide stores behind agent states and channel presence: one interface each, with a
 * one-process implementation (memory-agent-states.ts, and a presence store with nobody to tell)
 * and a Redis one (redis-agent-states.ts, redis-presence.ts).
 */
import type { AgentChange, AgentOp, AgentStateName, AgentStateRecord } from './agent-state-rules.js';

/** What a beat learned: changes this process must announce, and who is alive. */
export interface BeatOutcome {
  /** Agents of processes that stopped beating, declared offline: this caller announces them. */
  readonly changes: readonly AgentChange[];
  /** True when the deployment had forgotten this process (first beat, or it was declared gone). */
  readonly rejoined: boolean;
  /** The processes alive now, this one included. */
  readonly live: readonly string[];
}

/**
 * Agent states and the connection counts they depend on. Every change is decided atomically
 * where the state lives, and handed to exactly one caller across the deployment, which
 * publishes it.
 */
export interface AgentStateStore {
  /** Applies this process's facts in order; answers the changes they caused. */
  apply(ops: readonly AgentOp[]): Promise<AgentChange[]>;
  /** Every agent's current state. */
  load(): Promise<AgentStateRecord[]>;
  /** The agent's state changes since `fromMs`, oldest first. */
  history(agentId: string, fromMs: number): Promise<{ state: AgentStateName; sinceMs: number }[]>;
  /**
   * Says this process is alive, and declares offline (once) the agents held only by processes
   * not heard from for `deadAfterMs`.
   */
  beat(deadAfterMs: number): Promise<BeatOutcome>;
  /** This process leaves the deployment (closing): it is no longer counted alive. */
  leave(): Promise<void>;
}

/**
 * What one process holds of one user on one channel: its role, how many of its connections
 * subscribe, since when (`connections` 0: it holds none any more).
 */
export interface PresenceDelta {
  readonly channel: string;
  readonly userId: string;
  readonly role: string;
  readonly connections: number;
  readonly sinceMs: number;
}

/** A batch of one process's presence changes, numbered per process. */
export interface PresenceBatch {
  readonly processId: string;
  readonly seq: number;
  readonly deltas: readonly PresenceDelta[];
}

/** Channel presence shared between processes: each process's own entries, and their changes live. */
export interface PresenceStore {
  /** Stores this process's changes and tells the other processes. */
  publish(batch: PresenceBatch): Promise<void>;
  /** Other processes' batches as they come; returns the function that stops listening. */
  onBatch(listener: (batch: PresenceBatch) => void): () => void;
  /** Every given process's entries, with the seq of its last batch they include. */
  snapshot(processIds: readonly string[]): Promise<PresenceBatch[]>;
  /** Forgets what `processId` (gone) held. */
  forget(processId: string): Promise<void>;
}

/** A presence store with nobody to tell: one process alone. */
export const LOCAL_PRESENCE: PresenceStore = {
  publish: () => Promise.resolve(),
  onBatch: () => () => {},
  snapshot: () => Promise.resolve([]),
  forget: () => Promise.resolve(),
};
