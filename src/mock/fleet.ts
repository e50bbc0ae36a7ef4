/**
 * A fleet of simulated agents: `agent_001` … `agent_NNN` (behind an optional prefix), each with
 * its own seed and its own token — an agent token names the one agent it may speak for.
 *
 * For fleets of thousands in one process (`npm run agents -- --count 10000`): `connectPerSecond`
 * opens the connections over time instead of all at once, and `sharedClock` drives every agent's
 * telemetry from one timer, agent i at i/count of each interval, so the publishes are spread
 * evenly over the interval instead of falling wherever each connection happened to open.
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
  /** Metrics per telemetry sample (default 6; more adds made-up ones). */
  readonly metrics?: number;
  /** Agents started (connected) per second; default all at once. */
  readonly connectPerSecond?: number;
  /** With `connectPerSecond`: the ramp waits while this many agents are still connecting (default 200). */
  readonly maxConnecting?: number;
  /** One timer for the whole fleet, each agent at its own phase of the interval; default false (a timer per agent). */
  readonly sharedClock?: boolean;
}

export interface Fleet {
  readonly agents: readonly SimulatedAgent[];
  /** Agents started so far (all of them once the connection ramp is over). */
  readonly started: number;
  stop(): void;
}

export const DEFAULT_FLEET_SEED = 42;
/** Longest wait of the shared clock's timer, so a stop or a late agent is never far away. */
const CLOCK_STEP_MS = 20;

/** The id of the agent at `index` (0-based): agent_001, agent_002, … */
export function agentIdAt(index: number): string {
  return `agent_${String(index + 1).padStart(3, '0')}`;
}

export function startFleet(options: FleetOptions): Fleet {
  const seed = options.seed ?? DEFAULT_FLEET_SEED;
  const ids =
    options.agentIds ?? Array.from({ length: options.count }, (_, i) => `${options.idPrefix ?? ''}${agentIdAt(i)}`);
  const sharedClock = options.sharedClock === true;
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
      ...(options.metrics !== undefined ? { metrics: options.metrics } : {}),
      ...(sharedClock ? { ownTimer: false } : {}),
    });
  });
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const later = (fn: () => void, ms: number) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };
  let started = 0;
  const perSecond = options.connectPerSecond;
  if (perSecond === undefined || perSecond >= agents.length) {
    for (const agent of agents) agent.start();
    started = agents.length;
  } else {
    // The ramp: every 50 ms, the agents due by then, unless too many are still connecting (a busy
    // server answers late: more attempts then would only time out and retry).
    const maxConnecting = options.maxConnecting ?? 200;
    let credit = 0;
    let last = Date.now();
    const ramp = () => {
      const now = Date.now();
      credit = Math.min(perSecond, credit + ((now - last) * perSecond) / 1000);
      last = now;
      let connecting = 0;
      for (let i = 0; i < started; i++) if (agents[i]!.client.state === 'connecting') connecting++;
      while (credit >= 1 && connecting < maxConnecting && started < agents.length) {
        agents[started++]!.start();
        connecting++;
        credit--;
      }
      if (started < agents.length) later(ramp, 50);
    };
    credit = 1;
    ramp();
  }
  if (sharedClock && agents.length > 0) {
    // Tick k goes to agent k % n at t0 + floor(k / n) * interval + (k % n) * interval / n.
    const n = agents.length;
    const interval = options.intervalMs;
    const t0 = Date.now();
    let k = 0;
    const dueAt = (tick: number) => t0 + Math.floor(tick / n) * interval + ((tick % n) * interval) / n;
    const clock = () => {
      const now = Date.now();
      // Behind by more than an interval (a stalled event loop): the stale ticks are skipped, as
      // an agent skips its ticks while disconnected; telemetry is perishable.
      if (now - dueAt(k) > interval) k += Math.floor((now - dueAt(k)) / interval) * n;
      while (dueAt(k) <= now) agents[k++ % n]!.tick();
      later(clock, Math.max(1, Math.min(CLOCK_STEP_MS, dueAt(k) - Date.now())));
    };
    later(clock, interval / n);
  }
  return {
    agents,
    get started() {
      return started;
    },
    stop: () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const agent of agents) agent.stop();
    },
  };
}
