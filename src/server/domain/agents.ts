/**
 * Agent registry: newest telemetry of every agent seen on `telemetry`, listed with the agent's
 * deployment-wide state (agent-states.ts). For the task timeouts, an agent also counts as
 * reachable while a connection that published its telemetry is open, or while it sent telemetry
 * in the last three intervals (`isOnline`). At most `capacity` agents' telemetry is kept (least
 * recently seen dropped).
 */
import { AgentState, Channel, Limits, type AgentInfo, type AgentListing } from '@nexus-realtime/client/protocol';
import type { BrokerMessage } from '../broker/index.js';
import type { KnownState } from './agent-states.js';

/** The agents' deployment-wide states. */
export interface AgentStateSource {
  get(agentId: string): KnownState | undefined;
  ids(): Iterable<string>;
}

export interface AgentRegistryOptions {
  readonly now: () => number;
  /** Expected telemetry period; silence for three of them means offline. */
  readonly intervalMs: number;
  readonly capacity?: number;
  /** The agents' states (absent: from telemetry alone, as `isOnline`). */
  readonly states?: AgentStateSource;
}

interface AgentRecord {
  firstSeenMs: number;
  lastSeenMs: number;
  /** Newest value per metric; a Map so names like `__proto__` are plain keys. */
  latest: Map<string, number>;
  connections: Set<string>;
}

const MISSED_INTERVALS = 3;
const MAX_METRICS_PER_AGENT = Limits.maxMetricsPerAgent;

export class AgentRegistry {
  readonly #agents = new Map<string, AgentRecord>();
  readonly #byConnection = new Map<string, Set<string>>();
  readonly #capacity: number;

  constructor(private readonly options: AgentRegistryOptions) {
    this.#capacity = options.capacity ?? 10_000;
  }

  /** Feeds a broker message (every process sees every telemetry message). */
  observe(message: BrokerMessage): void {
    const agentId = telemetryAgentId(message);
    if (agentId === undefined) return;
    const record = this.#touch(agentId, Date.parse(message.timestamp) || this.options.now());
    for (const [key, value] of Object.entries(message.data as Record<string, unknown>)) {
      if (typeof value !== 'number' || !Number.isFinite(value)) continue;
      // A metric's name is a short label; a long key would make each kept value cost kilobytes.
      if (key.length > Limits.maxIdLength) continue;
      if (!record.latest.has(key) && record.latest.size >= MAX_METRICS_PER_AGENT) continue;
      record.latest.set(key, value);
    }
  }

  /** A local connection published this message: the agent stays online while it is open. */
  linkConnection(message: BrokerMessage, connectionId: string): void {
    const agentId = telemetryAgentId(message);
    if (agentId === undefined) return;
    // A networked broker may hand the message to `observe` only later: record it now.
    if (!this.#agents.has(agentId)) this.observe(message);
    const record = this.#agents.get(agentId);
    if (record) this.#link(agentId, record, connectionId);
  }

  /** A local connection closed: the agents it published for may go offline. */
  connectionClosed(connectionId: string): void {
    for (const agentId of this.#byConnection.get(connectionId) ?? [])
      this.#agents.get(agentId)?.connections.delete(connectionId);
    this.#byConnection.delete(connectionId);
  }

  /** True while a local connection that published its telemetry is open, or it was heard from recently. */
  isOnline(agentId: string): boolean {
    const record = this.#agents.get(agentId);
    return record !== undefined && this.#info(agentId, record).online;
  }

  /** Every agent with telemetry or a state, sorted by id. */
  list(): AgentInfo[] {
    const ids = new Set(this.#agents.keys());
    for (const agentId of this.options.states?.ids() ?? []) ids.add(agentId);
    return [...ids].sort((a, b) => a.localeCompare(b)).map((agentId) => this.get(agentId)!);
  }

  /** One agent, or undefined when it has neither telemetry nor a state. */
  get(agentId: string): AgentInfo | AgentListing | undefined {
    const record = this.#agents.get(agentId);
    const known = this.options.states?.get(agentId);
    if (!record && !known) return undefined;
    if (!this.options.states) return this.#info(agentId, record!);
    const state = known?.state ?? AgentState.Offline;
    const sinceMs = known?.sinceMs ?? record!.firstSeenMs;
    return {
      agent_id: agentId,
      state,
      since: new Date(sinceMs).toISOString(),
      online: state === AgentState.Online,
      last_seen: new Date(record?.lastSeenMs ?? sinceMs).toISOString(),
      latest: record ? Object.fromEntries(record.latest) : {},
    } satisfies AgentListing;
  }

  /** From telemetry alone: online while a connection that published is open or it was heard from recently. */
  #info(agentId: string, record: AgentRecord): AgentInfo {
    const fresh = this.options.now() - record.lastSeenMs <= MISSED_INTERVALS * this.options.intervalMs;
    return {
      agent_id: agentId,
      online: record.connections.size > 0 || fresh,
      last_seen: new Date(record.lastSeenMs).toISOString(),
      latest: Object.fromEntries(record.latest),
    };
  }

  #touch(agentId: string, seenMs: number): AgentRecord {
    let record = this.#agents.get(agentId);
    if (record) {
      this.#agents.delete(agentId); // re-insert: the map stays ordered by last activity
    } else {
      record = { firstSeenMs: seenMs, lastSeenMs: seenMs, latest: new Map(), connections: new Set() };
      if (this.#agents.size >= this.#capacity) this.#evictOldest();
    }
    record.lastSeenMs = Math.max(record.lastSeenMs, seenMs);
    this.#agents.set(agentId, record);
    return record;
  }

  #link(agentId: string, record: AgentRecord, connectionId: string): void {
    record.connections.add(connectionId);
    let agents = this.#byConnection.get(connectionId);
    if (!agents) {
      agents = new Set();
      this.#byConnection.set(connectionId, agents);
    }
    agents.add(agentId);
  }

  #evictOldest(): void {
    const oldest = this.#agents.keys().next().value;
    if (oldest === undefined) return;
    for (const connectionId of this.#agents.get(oldest)?.connections ?? [])
      this.#byConnection.get(connectionId)?.delete(oldest);
    this.#agents.delete(oldest);
  }
}

/** The `agent_id` of a telemetry message, when it has a usable one. */
function telemetryAgentId(message: BrokerMessage): string | undefined {
  if (message.channel !== Channel.Telemetry) return undefined;
  const data = message.data as Record<string, unknown> | null;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const agentId = data.agent_id;
  return typeof agentId === 'string' && agentId.length > 0 && agentId.length <= 128 ? agentId : undefined;
}
