/**
 * The agent state machine, deployment-wide. It runs where the deployment's agent state lives,
 * atomically with the connection counts it depends on: in this process's memory alone
 * (memory-agent-states.ts), in a Lua script with Redis (redis-agent-states.ts mirrors
 * `nextAgentState` line for line). The domain (domain/agent-states.ts) only feeds it facts: how
 * many connections of an agent a process holds, and when its telemetry stopped or came back.
 *
 * ```
 *              a connection somewhere
 *   offline ───────────────────────────▶ online ◀──────────────┐
 *      ▲                                   │                    │ telemetry
 *      │  no connection left anywhere      │ no telemetry for   │
 *      ├───────────────────────────────────┤ NEXUS_AGENT_SILENT_S
 *      │                                   ▼                    │
 *      └─────────────────────────────── silent ─────────────────┘
 * ```
 */

/** One of the agent states (the protocol's `AgentState`, restated here: state/ imports nothing). */
export type AgentStateName = 'online' | 'silent' | 'offline';

/** The transitions the machine allows. */
export const AGENT_TRANSITIONS: Readonly<Record<AgentStateName, readonly AgentStateName[]>> = {
  offline: ['online'],
  online: ['silent', 'offline'],
  silent: ['online', 'offline'],
};

/**
 * A fact a process reports about one agent. `count`: this process now holds `count` connections
 * with the agent's identity. `silent`: no telemetry since `atMs - NEXUS_AGENT_SILENT_S`. `active`:
 * telemetry at `atMs`. `atMs` is when the resulting state, if any, began.
 */
export type AgentOp =
  | { readonly op: 'count'; readonly agentId: string; readonly count: number; readonly atMs: number }
  | { readonly op: 'silent' | 'active'; readonly agentId: string; readonly atMs: number };

/** A state the deployment entered, told to exactly one caller. */
export interface AgentChange {
  readonly agentId: string;
  readonly state: AgentStateName;
  readonly previous: AgentStateName;
  readonly sinceMs: number;
}

/** Where an agent stands. */
export interface AgentStateRecord {
  readonly agentId: string;
  readonly state: AgentStateName;
  readonly sinceMs: number;
}

/**
 * The state after `op`, given the connections the whole deployment holds of the agent once the
 * op is counted; undefined when the state does not change.
 */
export function nextAgentState(
  current: AgentStateName,
  op: AgentOp['op'],
  connections: number,
): AgentStateName | undefined {
  if (connections <= 0) return current === 'offline' ? undefined : 'offline';
  if (current === 'offline') return 'online';
  if (op === 'silent' && current === 'online') return 'silent';
  if (op === 'active' && current === 'silent') return 'online';
  return undefined;
}

/** Most state changes kept per agent (its last 24 hours are served from them). */
export const AGENT_HISTORY_MAX = 500;
/** How long an agent's state changes are kept. */
export const AGENT_HISTORY_MS = 24 * 3600 * 1000;
