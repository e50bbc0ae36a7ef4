/**
 * Agent states of a deployment of one process: the machine of agent-state-rules.ts over this
 * process's own counts. Nobody else beats, so no agent is ever declared gone for them.
 */
import {
  AGENT_HISTORY_MAX,
  nextAgentState,
  type AgentChange,
  type AgentOp,
  type AgentStateName,
  type AgentStateRecord,
} from './agent-state-rules.js';
import type { AgentStateStore, BeatOutcome } from './deployment-stores.js';

interface Kept {
  state: AgentStateName;
  sinceMs: number;
  connections: number;
  readonly history: { state: AgentStateName; sinceMs: number }[];
}

export class MemoryAgentStates implements AgentStateStore {
  readonly #agents = new Map<string, Kept>();
  #beaten = false;

  constructor(private readonly processId: string) {}

  apply(ops: readonly AgentOp[]): Promise<AgentChange[]> {
    const changes: AgentChange[] = [];
    for (const op of ops) {
      let kept = this.#agents.get(op.agentId);
      if (!kept) {
        kept = { state: 'offline', sinceMs: op.atMs, connections: 0, history: [] };
        this.#agents.set(op.agentId, kept);
      }
      if (op.op === 'count') kept.connections = op.count;
      const next = nextAgentState(kept.state, op.op, kept.connections);
      if (next === undefined) continue;
      changes.push({ agentId: op.agentId, state: next, previous: kept.state, sinceMs: op.atMs });
      kept.state = next;
      kept.sinceMs = op.atMs;
      kept.history.push({ state: next, sinceMs: op.atMs });
      if (kept.history.length > AGENT_HISTORY_MAX) kept.history.shift();
    }
    return Promise.resolve(changes);
  }

  load(): Promise<AgentStateRecord[]> {
    return Promise.resolve([...this.#agents].map(([agentId, { state, sinceMs }]) => ({ agentId, state, sinceMs })));
  }

  history(agentId: string, fromMs: number): Promise<{ state: AgentStateName; sinceMs: number }[]> {
    const kept = this.#agents.get(agentId)?.history ?? [];
    return Promise.resolve(kept.filter((entry) => entry.sinceMs >= fromMs).map((entry) => ({ ...entry })));
  }

  beat(): Promise<BeatOutcome> {
    const rejoined = !this.#beaten;
    this.#beaten = true;
    return Promise.resolve({ changes: [], rejoined, live: [this.processId] });
  }

  leave(): Promise<void> {
    return Promise.resolve();
  }
}
