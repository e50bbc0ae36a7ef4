/**
 * Agent states, deployment-wide (online, silent, offline; see state/agent-state-rules.ts for the
 * machine). This process reports facts about the agents it holds connections of — how many
 * connections, and whether their telemetry stopped or came back — in batches; the shared store
 * decides each change once and hands it to the process whose report caused it, which publishes
 * it on `agents` (a broadcast from `nexus`). Every process learns every change from that channel,
 * so each answers `GET /api/agents` from memory.
 *
 * The same beat that tells the store this process is alive reaps the processes that stopped
 * beating (SIGKILL): their agents held nowhere else go offline within `NEXUS_AGENT_SILENT_S`.
 */
import { AgentState, Channel, type AgentStateChange } from '@nexus-realtime/client/protocol';
import { SERVER_USER_ID } from '../auth.js';
import type { Broker, BrokerMessage } from '../broker/index.js';
import type { Logger } from '../logger.js';
import {
  AGENT_HISTORY_MS,
  type AgentChange,
  type AgentOp,
  type AgentStateName,
  type AgentStateStore,
  type BeatOutcome,
} from '../state/index.js';

export interface AgentStatesOptions {
  readonly store: AgentStateStore;
  readonly broker: Broker;
  readonly logger: Logger;
  readonly now: () => number;
  /** `NEXUS_AGENT_SILENT_S` in ms: connected without telemetry this long is `silent`. */
  readonly silentMs: number;
}

/** Where one agent stands, as this process last learnt. */
export interface KnownState {
  readonly state: AgentStateName;
  readonly sinceMs: number;
}

/** An agent this process holds connections of. */
interface LocalAgent {
  connections: number;
  /** Its last telemetry, or when its first connection here opened. */
  activityMs: number;
  /** A silent/active fact already queued for the current activity. */
  asked: 'silent' | 'active' | undefined;
}

/** Facts wait this long to travel together (a reconnect storm is a few store calls). */
const BATCH_DELAY_MS = 20;
/**
 * Changes are published in slices of at most this long, one per event-loop turn: a thousand
 * agents dropping at once decide a thousand changes in one batch, and publishing them in one go
 * held the loop for 40-50 ms.
 */
const ANNOUNCE_SLICE_MS = 4;
/** Longest a closing process waits to tell the store its last counts. */
const CLOSE_WAIT_MS = 2_000;

export class AgentStates {
  readonly #local = new Map<string, LocalAgent>();
  readonly #known = new Map<string, KnownState>();
  /** Agents whose connection count here changed since the last batch, with when it first did. */
  readonly #counted = new Map<string, number>();
  #facts: AgentOp[] = [];
  #batchTimer: NodeJS.Timeout | undefined;
  #sending: Promise<void> | undefined;
  readonly #tickTimer: NodeJS.Timeout;
  readonly #beatMs: number;
  #nextBeatMs = 0;
  #beating = false;
  #closed = false;
  /** Changes decided and learnt, not published yet (see ANNOUNCE_SLICE_MS), and whether a slice is due. */
  readonly #unannounced: AgentChange[] = [];
  #announcing = false;
  readonly #beatListeners = new Set<(outcome: BeatOutcome) => void>();
  readonly #offMessages: () => void;

  constructor(private readonly options: AgentStatesOptions) {
    // Beats a few times per silence period; one missing 2.5 beats is reaped at the next beat,
    // so a killed process's agents are offline within 0.7 × NEXUS_AGENT_SILENT_S.
    this.#beatMs = Math.min(5000, Math.max(200, Math.floor(options.silentMs / 5)));
    const tickMs = Math.min(1000, Math.max(50, Math.floor(options.silentMs / 10)));
    this.#tickTimer = setInterval(() => this.#tick(), tickMs);
    this.#tickTimer.unref();
    options.broker.watch(Channel.Agents);
    this.#offMessages = options.broker.onMessage((message) => this.observe(message));
    // The first beat at once: the deployment knows this process before it holds any agent.
    void this.#beat(options.now());
  }

  /** How long a process may miss beats before its agents are declared offline. */
  get deadAfterMs(): number {
    return Math.round(this.#beatMs * 2.5);
  }

  /** Learns the deployment's states (at start, and whenever the store is reachable again). */
  async load(): Promise<void> {
    try {
      for (const { agentId, state, sinceMs } of await this.options.store.load()) this.#learn(agentId, state, sinceMs);
      // What the store held may predate a loss of its data: tell it again what this process holds.
      for (const agentId of this.#local.keys()) this.#count(agentId);
      this.#schedule();
    } catch (error) {
      this.options.logger.warn({ err: (error as Error).message }, 'agent states not loaded');
    }
  }

  /** A connection with `agentId`'s identity opened on this process. */
  connected(agentId: string): void {
    const local = this.#local.get(agentId);
    if (local) local.connections++;
    else this.#local.set(agentId, { connections: 1, activityMs: this.options.now(), asked: undefined });
    this.#count(agentId);
    this.#schedule();
  }

  /** A connection with `agentId`'s identity closed on this process. */
  disconnected(agentId: string): void {
    const local = this.#local.get(agentId);
    if (!local) return;
    if (--local.connections <= 0) this.#local.delete(agentId);
    this.#count(agentId);
    this.#schedule();
  }

  /** Every broker message: telemetry is activity, `agents` carries every process's changes. */
  observe(message: BrokerMessage): void {
    if (message.channel === Channel.Telemetry) return this.#telemetry(message);
    if (message.channel !== Channel.Agents || message.from !== SERVER_USER_ID) return;
    const change = message.data as Partial<AgentStateChange> | null;
    if (!change || typeof change.agent_id !== 'string' || typeof change.since !== 'string') return;
    if (!isState(change.state)) return;
    this.#learn(change.agent_id, change.state, Date.parse(change.since));
  }

  get(agentId: string): KnownState | undefined {
    return this.#known.get(agentId);
  }

  /** Every agent with a known state. */
  ids(): IterableIterator<string> {
    return this.#known.keys();
  }

  /** The agent's state changes over the last 24 hours, oldest first. */
  history(agentId: string): Promise<{ state: AgentStateName; sinceMs: number }[]> {
    return this.options.store.history(agentId, this.options.now() - AGENT_HISTORY_MS);
  }

  /** Called after each beat (who is alive); returns the function that stops it. */
  onBeat(listener: (outcome: BeatOutcome) => void): () => void {
    this.#beatListeners.add(listener);
    return () => this.#beatListeners.delete(listener);
  }

  /** Sends what is left (the closing connections' counts) and leaves the deployment. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#tickTimer);
    clearTimeout(this.#batchTimer);
    this.#offMessages();
    this.options.broker.unwatch(Channel.Agents);
    // Bounded: a store that cannot answer (Redis away) must not hold the shutdown.
    const last = (async () => {
      await this.#sending;
      await this.#send().catch(() => {});
      // What is decided goes out before the broker closes.
      this.#publishUnannounced(Infinity);
      await this.options.store.leave().catch(() => {});
    })();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([last, new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS)))]);
    clearTimeout(timer);
  }

  #telemetry(message: BrokerMessage): void {
    const data = message.data as { agent_id?: unknown } | null;
    const agentId = typeof data === 'object' && data !== null ? data.agent_id : undefined;
    if (typeof agentId !== 'string') return;
    const local = this.#local.get(agentId);
    if (!local) return;
    const nowMs = this.options.now();
    local.activityMs = nowMs;
    if (local.asked === 'silent') local.asked = undefined;
    if (this.#known.get(agentId)?.state !== AgentState.Silent || local.asked === 'active') return;
    local.asked = 'active';
    this.#facts.push({ op: 'active', agentId, atMs: nowMs });
    this.#schedule();
  }

  /** Finds the local agents whose telemetry stopped, and beats when due. */
  #tick(): void {
    const nowMs = this.options.now();
    const { silentMs } = this.options;
    for (const [agentId, local] of this.#local) {
      if (local.asked !== undefined || nowMs - local.activityMs < silentMs) continue;
      if (this.#known.get(agentId)?.state !== AgentState.Online) continue;
      local.asked = 'silent';
      this.#facts.push({ op: 'silent', agentId, atMs: local.activityMs + silentMs });
    }
    if (this.#facts.length > 0) this.#schedule();
    // A beat still unanswered long after it was due does not hold the next one back.
    const stuck = this.#beating && nowMs - this.#nextBeatMs > this.deadAfterMs;
    if (nowMs >= this.#nextBeatMs && (!this.#beating || stuck)) void this.#beat(nowMs);
  }

  async #beat(nowMs: number): Promise<void> {
    this.#beating = true;
    this.#nextBeatMs = nowMs + this.#beatMs;
    try {
      const outcome = await this.options.store.beat(this.deadAfterMs);
      if (outcome.rejoined) for (const agentId of this.#local.keys()) this.#count(agentId);
      if (outcome.rejoined && this.#local.size > 0) this.#schedule();
      this.#announce(outcome.changes);
      for (const listener of this.#beatListeners) listener(outcome);
    } catch (error) {
      this.options.logger.debug({ err: (error as Error).message }, 'agent states: beat failed');
    } finally {
      this.#beating = false;
    }
  }

  #schedule(): void {
    if (this.#closed && this.#sending === undefined) return;
    if (this.#batchTimer !== undefined) return;
    this.#batchTimer = setTimeout(() => {
      this.#batchTimer = undefined;
      if (this.#sending) return void this.#sending.then(() => this.#schedule());
      this.#sending = this.#send().finally(() => (this.#sending = undefined));
    }, BATCH_DELAY_MS);
    this.#batchTimer.unref();
  }

  /** Sends the facts gathered so far, in one batch; on failure they are kept for the next. */
  async #send(): Promise<void> {
    const facts: AgentOp[] = [];
    for (const [agentId, atMs] of this.#counted)
      facts.push({ op: 'count', agentId, count: this.#local.get(agentId)?.connections ?? 0, atMs });
    facts.push(...this.#facts);
    if (facts.length === 0) return;
    const counted = [...this.#counted];
    this.#counted.clear();
    this.#facts = [];
    try {
      this.#announce(await this.options.store.apply(facts));
    } catch (error) {
      this.options.logger.warn({ err: (error as Error).message, facts: facts.length }, 'agent states not stored');
      for (const [agentId, atMs] of counted) if (!this.#counted.has(agentId)) this.#counted.set(agentId, atMs);
      this.#retryLater();
    } finally {
      for (const fact of facts) if (fact.op !== 'count') this.#clearAsked(fact.agentId);
    }
  }

  /** The agent's count here changed (a change it causes began at the first such moment of the batch). */
  #count(agentId: string): void {
    if (!this.#counted.has(agentId)) this.#counted.set(agentId, this.options.now());
  }

  #retryLater(): void {
    if (this.#closed) return;
    const timer = setTimeout(() => this.#schedule(), this.#beatMs);
    timer.unref();
  }

  #clearAsked(agentId: string): void {
    const local = this.#local.get(agentId);
    if (local) local.asked = undefined;
  }

  /** Publishes the changes this process was handed (each once for the deployment). */
  /** Learns the changes at once; publishes them in order, in slices (see ANNOUNCE_SLICE_MS). */
  #announce(changes: readonly AgentChange[]): void {
    for (const change of changes) this.#learn(change.agentId, change.state, change.sinceMs);
    this.#unannounced.push(...changes);
    if (!this.#announcing && this.#unannounced.length > 0) this.#announceSlice();
  }

  #announceSlice = (): void => {
    this.#publishUnannounced(performance.now() + ANNOUNCE_SLICE_MS);
    this.#announcing = this.#unannounced.length > 0;
    if (this.#announcing) setImmediate(this.#announceSlice);
  };

  /** Publishes the waiting changes in order until `deadlineMs` has passed (at least one). */
  #publishUnannounced(deadlineMs: number): void {
    let next = 0;
    while (next < this.#unannounced.length && (next === 0 || performance.now() < deadlineMs)) {
      const change = this.#unannounced[next++]!;
      const data: AgentStateChange = {
        agent_id: change.agentId,
        state: change.state,
        previous: change.previous,
        since: new Date(change.sinceMs).toISOString(),
      };
      this.options.broker
        .publish({ channel: Channel.Agents, kind: 'broadcast', from: SERVER_USER_ID, data })
        .catch((error: unknown) =>
          this.options.logger.warn({ err: error, agentId: change.agentId }, 'agent state not published'),
        );
    }
    this.#unannounced.splice(0, next);
  }

  /** Keeps the newest state known of an agent (changes may arrive out of order between processes). */
  #learn(agentId: string, state: AgentStateName, sinceMs: number): void {
    const known = this.#known.get(agentId);
    if (known && known.sinceMs > sinceMs) return;
    this.#known.set(agentId, { state, sinceMs });
  }
}

function isState(value: unknown): value is AgentStateName {
  return value === AgentState.Online || value === AgentState.Silent || value === AgentState.Offline;
}
