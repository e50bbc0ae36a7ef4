/**
 * A fleet of simulated agents: `agent_001` … `agent_NNN` (behind an optional prefix), each with
 * its own seed and its own token — an agent token names the one agent it may speak for.
 */
import type { NexusWebSocketOptions, TokenProvider } from '@nexus-realtime/client';
import { SimulatedAgent, type AgentLogger } from './agent.js';
import { deriveSeed } from './random.js';

export interface FleetOptions {
  readonly url: string;
  readonly count: number;
  readonly intervalMs: number;
  /** Put before every agent id, so two fleets on one server never share an id (`cli-3f2a_agent_001`). */
  readonly idPrefix?: string;
  /** Explicit agent ids (one per agent; overrides count and prefix), e.g. taken from given tokens. */
  readonly agentIds?: readonly string[];
  /** The token of each agent (a provider is asked again before every connect). */
  readonly token: (agentId: string) => TokenProvider;
  readonly seed?: number;
  readonly taskDurationMs?: readonly [number, number];
  readonly failureRate?: number;
  readonly logger?: AgentLogger;
  readonly clientOptions?: NexusWebSocketOptions;
}

export interface Fleet {
  readonly agents: readonly SimulatedAgent[];
  stop(): void;
}

export const DEFAULT_FLEET_SEED = 42;

/** The id of the agent at `index` (0-based): agent_001, agent_002, … */
export function agentIdAt(index: number): string {
  return `agent_${String(index + 1).padStart(3, '0')}`;
}

export function startFleet(options: FleetOptions): Fleet {
  const seed = options.seed ?? DEFAULT_FLEET_SEED;
  const ids =
    options.agentIds ?? Array.from({ length: options.count }, (_, i) => `${options.idPrefix ?? ''}${agentIdAt(i)}`);
  const agents = ids.map((agentId, index) => {
    return new SimulatedAgent({
      agentId,
      url: options.url,
      token: options.token(agentId),
      seed: deriveSeed(seed, index),
      intervalMs: options.intervalMs,
      ...(options.taskDurationMs ? { taskDurationMs: options.taskDurationMs } : {}),
      ...(options.failureRate !== undefined ? { failureRate: options.failureRate } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.clientOptions ? { clientOptions: options.clientOptions } : {}),
    });
  });
  for (const agent of agents) agent.start();
  return {
    agents,
    stop: () => {
      for (const agent of agents) agent.stop();
    },
  };
}
