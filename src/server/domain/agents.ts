/**
 * Agent registry: presence and newest telemetry of every agent seen on `telemetry`. An agent is
 * online while a connection that published its telemetry is open, or while it sent telemetry in
 * the last three intervals. At most `capacity` agents are kept (least recently seen dropped).
 */
import { Channel, Limits, type AgentInfo } from '@nexus-realtime/client/protocol';
import type { BrokerMessage } from '../broker/index.js';

export interface AgentRegistryOptions {
  readonly now: () => number;
  /** Expected telemetry period; silence for three of them means offline. */
  readonly intervalMs: number;
  readonly capacity?: number;
}

interface AgentRecord {
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

  list(): AgentInfo[] {
    return [...this.#agents.entries()]
      .map(([agentId, record]) => this.#info(agentId, record))
      .sort((a, b) => a.agent_id.localeCompare(b.agent_id));
  }

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
      record = { lastSeenMs: seenMs, latest: new Map(), connections: new Set() };
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
