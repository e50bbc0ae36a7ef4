/**
 * Shared state other than messages: what every process of a deployment must agree on besides
 * the channels' messages (those are the broker's). One interface, two implementations: one
 * process (memory-state.ts), where nothing is shared and every answer is local, and Redis
 * (redis-state.ts), shared by every process on the same Redis.
 *
 * Callers (the domain, the admin data plane) write against this interface only; the
 * composition root (server.ts) picks the implementation that goes with the broker.
 */

/** A task as stored: an id, a creation time, and whatever else the domain keeps (stored as JSON). */
export interface StoredTask {
  readonly task_id: string;
  readonly created_at: string;
}

/** The latest state of each task, for a process that starts or comes back to learn from. */
export interface TaskStore {
  /** Stores a task's latest state and keeps only the newest `capacity` tasks. */
  put(task: StoredTask, capacity: number): Promise<void>;
  /** The newest `limit` stored tasks, oldest first. */
  load<T extends StoredTask>(limit: number): Promise<T[]>;
}

/** Which agents have a connection on some process. */
export interface AgentPresence {
  /**
   * Announces the agents connected to this process and answers every agent announced by any
   * process within `windowMs` (older announcements are forgotten).
   */
  announce(agentIds: readonly string[], windowMs: number): Promise<ReadonlySet<string>>;
}

/** Answers a control request for this process's own state. */
export type ControlHandler = (request: unknown) => unknown;

/** What every live process answered to a control request, and which live ones did not answer in time. */
export interface ControlAnswers {
  readonly answers: readonly { readonly processId: string; readonly answer: unknown }[];
  readonly missing: readonly string[];
}

/** The admin control plane: asking every other live process about its own state. */
export interface ControlPlane {
  /** Joins: beats every `beatMs` and answers every other process's requests with `handler`. */
  serve(handler: ControlHandler, beatMs?: number): void;
  /** The other processes that beat recently. */
  liveProcesses(): Promise<string[]>;
  /**
   * Sends `request` to every other live process and gathers their answers until each answered,
   * left, or `deadlineMs` passed; those that did not answer are named in `missing`.
   */
  request(request: unknown, deadlineMs: number): Promise<ControlAnswers>;
}

import type { RollupArchive } from './rollup-store.js';
import type { AuditStore } from './audit-store.js';
import type { AgentStateStore, PresenceStore } from './deployment-stores.js';
import type { AlertStore } from './alert-store.js';

export interface SharedState {
  /**
   * Whether other processes share this state. When false there is nobody to tell: a caller may
   * skip work whose only purpose is to inform other processes (announcing presence, storing
   * task states for a process that starts later).
   */
  readonly shared: boolean;
  readonly tasks: TaskStore;
  readonly presence: AgentPresence;
  readonly control: ControlPlane;
  /** Closed telemetry rollup buckets, kept for the other processes and those that start later. */
  readonly rollups: RollupArchive;
  /** The audit log: shared and kept across restarts with Redis. */
  readonly audit: AuditStore;
  /** Agent states (online, silent, offline), each change decided once for the deployment. */
  readonly agentStates: AgentStateStore;
  /** Who subscribes to which channel, on every process. */
  readonly channelPresence: PresenceStore;
  /** Alerts and their rules, each fire, resolve and acknowledgement decided once for the deployment. */
  readonly alerts: AlertStore;
  /**
   * True for exactly one caller per `name` across every process sharing this state, for `ttlMs`
   * (default 60 s): e.g. the one process that declares a task's timeout.
   */
  claimOnce(name: string, ttlMs?: number): Promise<boolean>;
  /**
   * Called whenever the state becomes reachable (first connect and every reconnect): what it
   * holds may be newer than what this process knows. Returns the function that removes it.
   */
  onReady(listener: () => void): () => void;
  /** Stops serving control requests and forgets this process; the connections stay (the broker's). */
  close(): Promise<void>;
}
