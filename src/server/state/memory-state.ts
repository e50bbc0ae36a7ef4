/**
 * Shared state of a deployment of one process: nothing to share, so every answer is local. The
 * task registry is the only copy of the tasks (nothing is stored twice, and a restarted process
 * starts empty, as its memory broker does); a claim is won by its first caller; the agents
 * present are the ones announced; there is no other process to ask.
 */
import type {
  AgentPresence,
  ControlAnswers,
  ControlPlane,
  SharedState,
  StoredTask,
  TaskStore,
} from './shared-state.js';
import { LocalRollupArchive, type RollupArchive } from './rollup-store.js';
import { MemoryAuditStore } from './audit-store.js';
import { LOCAL_PRESENCE, type AgentStateStore, type PresenceStore } from './deployment-stores.js';
import { MemoryAgentStates } from './memory-agent-states.js';
import { MemoryAlertStore } from './alert-store.js';

const DEFAULT_CLAIM_TTL_MS = 60_000;
const NO_ANSWERS: ControlAnswers = { answers: [], missing: [] };

export interface MemorySharedStateOptions {
  readonly now?: () => number;
  /** This process's id (the broker's). */
  readonly processId?: string;
}

export class MemorySharedState implements SharedState {
  readonly shared = false;
  readonly tasks: TaskStore = {
    put: () => Promise.resolve(),
    load: <T extends StoredTask>() => Promise.resolve([] as T[]),
  };
  readonly presence: AgentPresence = {
    announce: (agentIds: readonly string[]) => Promise.resolve<ReadonlySet<string>>(new Set(agentIds)),
  };
  readonly control: ControlPlane = {
    serve: () => {},
    liveProcesses: () => Promise.resolve([]),
    request: () => Promise.resolve(NO_ANSWERS),
  };
  /** Alone, the rollup engine's memory is the only copy of the rollups. */
  readonly rollups: RollupArchive = new LocalRollupArchive();
  /** Alone, the audit log lives (and ends) with the process. */
  readonly audit = new MemoryAuditStore();
  readonly agentStates: AgentStateStore;
  /** Alone, this process's presence is the deployment's: nobody to tell. */
  readonly channelPresence: PresenceStore = LOCAL_PRESENCE;
  /** Alone, the alerts and rules live (and end) with the process. */
  readonly alerts = new MemoryAlertStore();
  readonly #now: () => number;
  /** Claim name → when it expires; expired claims leave as the next claims pass them. */
  readonly #claims = new Map<string, number>();

  constructor(options: MemorySharedStateOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.agentStates = new MemoryAgentStates(options.processId ?? 'local');
  }

  claimOnce(name: string, ttlMs = DEFAULT_CLAIM_TTL_MS): Promise<boolean> {
    const nowMs = this.#now();
    for (const [held, expiresAt] of this.#claims) {
      if (expiresAt > nowMs) break;
      this.#claims.delete(held);
    }
    const expiresAt = this.#claims.get(name);
    if (expiresAt !== undefined && expiresAt > nowMs) return Promise.resolve(false);
    this.#claims.delete(name);
    this.#claims.set(name, nowMs + ttlMs);
    return Promise.resolve(true);
  }

  /** One process never reconnects to its state: the listener is never called. */
  onReady(_listener: () => void): () => void {
    return () => {};
  }

  close(): Promise<void> {
    this.#claims.clear();
    return Promise.resolve();
  }
}
