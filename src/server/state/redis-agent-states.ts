/**
 * Agent states in Redis, shared by every process: the machine of agent-state-rules.ts runs in
 * Lua, atomically with the connection counts it depends on, so each change is decided once and
 * handed to exactly one process (the one whose call caused it), which publishes it.
 *
 * Each process keeps its own counts (`agents:proc:<id>`, agent → connections) beside the
 * deployment's totals (`agents:conns`), and beats in `agents:live`. A process that stops beating
 * (SIGKILL) is reaped by the first live process whose beat finds it late: its counts leave the
 * totals, and its agents held nowhere else go offline, in the same script, so two reapers never
 * announce the same change. A process reaped while alive (a long stall) finds itself forgotten at
 * its next beat and reports its counts again.
 */
import {
  AGENT_STATES_KEY,
  AGENT_CONNECTIONS_KEY,
  AGENT_HISTORY_PREFIX,
  AGENT_PROCESS_PREFIX,
  LIVE_PROCESSES_KEY,
  agentHistoryKey,
  agentProcessKey,
} from './redis-keys.js';
import {
  AGENT_HISTORY_MAX,
  AGENT_HISTORY_MS,
  type AgentChange,
  type AgentOp,
  type AgentStateName,
  type AgentStateRecord,
} from './agent-state-rules.js';
import type { AgentStateStore, BeatOutcome } from './deployment-stores.js';

/**
 * Shared by both scripts. KEYS[1] states, KEYS[2] totals. `decide` mirrors `nextAgentState`;
 * `changes` collects agent, state, previous, since for the caller.
 */
const MACHINE = `
local changes = {}
local histPrefix, histTtl, histMax = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local function current(agent)
  local kept = redis.call('HGET', KEYS[1], agent)
  if not kept then return 'offline' end
  return string.sub(kept, 1, string.find(kept, '|', 1, true) - 1)
end
local function decide(agent, op, at)
  local total = tonumber(redis.call('HGET', KEYS[2], agent) or '0')
  local state = current(agent)
  local nxt = nil
  if total <= 0 then
    if state ~= 'offline' then nxt = 'offline' end
  elseif state == 'offline' then nxt = 'online'
  elseif op == 'silent' and state == 'online' then nxt = 'silent'
  elseif op == 'active' and state == 'silent' then nxt = 'online' end
  if not nxt then return end
  redis.call('HSET', KEYS[1], agent, nxt .. '|' .. at)
  local hist = histPrefix .. agent
  redis.call('RPUSH', hist, nxt .. '|' .. at)
  redis.call('LTRIM', hist, -histMax, -1)
  redis.call('PEXPIRE', hist, histTtl)
  changes[#changes + 1] = agent
  changes[#changes + 1] = nxt
  changes[#changes + 1] = state
  changes[#changes + 1] = at
end
local function count(procKey, agent, n)
  local old = tonumber(redis.call('HGET', procKey, agent) or '0')
  if n == old then return end
  if n > 0 then redis.call('HSET', procKey, agent, n) else redis.call('HDEL', procKey, agent) end
  if redis.call('HINCRBY', KEYS[2], agent, n - old) <= 0 then redis.call('HDEL', KEYS[2], agent) end
end
`;

/**
 * Applies one process's facts. KEYS: states, totals, this process's counts, live set.
 * ARGV: history prefix, history ttl, history max, process id, now, then op, agent, count, at —
 * four per fact. The process is marked alive too: whoever holds counts can be reaped.
 */
const APPLY_SCRIPT = `${MACHINE}
redis.call('ZADD', KEYS[4], ARGV[5], ARGV[4])
for i = 6, #ARGV, 4 do
  local op, agent = ARGV[i], ARGV[i + 1]
  if op == 'count' then count(KEYS[3], agent, tonumber(ARGV[i + 2])) end
  decide(agent, op, ARGV[i + 3])
end
return changes
`;

/**
 * Beats, then reaps the processes not heard from since the deadline. KEYS: states, totals, live set.
 * ARGV: history prefix, history ttl, history max, process id, now, deadline, process-counts prefix.
 * Answers: 1 when this process was unknown, the live processes, then the changes.
 */
const BEAT_SCRIPT = `${MACHINE}
local self, now, deadline, procPrefix = ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local added = redis.call('ZADD', KEYS[3], now, self)
local dead = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', '(' .. deadline)
for _, gone in ipairs(dead) do
  redis.call('ZREM', KEYS[3], gone)
  local procKey = procPrefix .. gone
  local held = redis.call('HGETALL', procKey)
  for j = 1, #held, 2 do
    count(procKey, held[j], 0)
    decide(held[j], 'count', now)
  end
  redis.call('DEL', procKey)
end
local live = redis.call('ZRANGE', KEYS[3], 0, -1)
return {added, live, changes}
`;

/** The commands `defineAgentStateScripts` adds to a connection. */
export interface AgentStateScripts {
  nexusAgentApply(...keysAndArgs: string[]): Promise<string[]>;
  nexusAgentBeat(...keysAndArgs: string[]): Promise<[number, string[], string[]]>;
}

/** What is used of the command connection. */
export interface AgentStateCommands extends AgentStateScripts {
  defineCommand(name: string, definition: { lua: string; numberOfKeys?: number }): void;
  hgetall(key: string): Promise<Record<string, string>>;
  lrange(key: string, start: number, stop: number): Promise<string[]>;
  zadd(key: string, score: string, member: string): Promise<unknown>;
}

/** Facts per script call: a reconnect storm is a few calls, each short for Redis. */
const OPS_PER_CALL = 500;

export class RedisAgentStates implements AgentStateStore {
  readonly #history = [AGENT_HISTORY_PREFIX, String(AGENT_HISTORY_MS), String(AGENT_HISTORY_MAX)];

  constructor(
    private readonly commands: AgentStateCommands,
    private readonly processId: string,
    private readonly now: () => number,
    /** Whether the command connection is up: nothing waits in ioredis's queue for a Redis known to be away. */
    private readonly isUp: () => boolean = () => true,
  ) {
    commands.defineCommand('nexusAgentApply', { numberOfKeys: 4, lua: APPLY_SCRIPT });
    commands.defineCommand('nexusAgentBeat', { numberOfKeys: 3, lua: BEAT_SCRIPT });
  }

  async apply(ops: readonly AgentOp[]): Promise<AgentChange[]> {
    this.#up();
    const changes: AgentChange[] = [];
    for (let i = 0; i < ops.length; i += OPS_PER_CALL) {
      const args: string[] = [];
      for (const op of ops.slice(i, i + OPS_PER_CALL))
        args.push(op.op, op.agentId, String(op.op === 'count' ? op.count : 0), String(Math.round(op.atMs)));
      const keys = [AGENT_STATES_KEY, AGENT_CONNECTIONS_KEY, agentProcessKey(this.processId), LIVE_PROCESSES_KEY];
      const self = [this.processId, String(this.now())];
      changes.push(...toChanges(await this.commands.nexusAgentApply(...keys, ...this.#history, ...self, ...args)));
    }
    return changes;
  }

  async load(): Promise<AgentStateRecord[]> {
    const kept = await this.commands.hgetall(AGENT_STATES_KEY);
    return Object.entries(kept).map(([agentId, text]) => ({ agentId, ...parseKept(text) }));
  }

  async history(agentId: string, fromMs: number): Promise<{ state: AgentStateName; sinceMs: number }[]> {
    const kept = await this.commands.lrange(agentHistoryKey(agentId), 0, -1);
    return kept.map(parseKept).filter((entry) => entry.sinceMs >= fromMs);
  }

  async beat(deadAfterMs: number): Promise<BeatOutcome> {
    this.#up();
    const nowMs = this.now();
    const [added, live, changes] = await this.commands.nexusAgentBeat(
      AGENT_STATES_KEY,
      AGENT_CONNECTIONS_KEY,
      LIVE_PROCESSES_KEY,
      ...this.#history,
      this.processId,
      String(nowMs),
      String(nowMs - deadAfterMs),
      AGENT_PROCESS_PREFIX,
    );
    return { rejoined: Number(added) === 1, live, changes: toChanges(changes) };
  }

  /** Marks this process as long gone: the next beat of any process reaps what it still held. */
  #up(): void {
    if (!this.isUp()) throw new RedisAwayError();
  }

  async leave(): Promise<void> {
    this.#up();
    await this.commands.zadd(LIVE_PROCESSES_KEY, '0', this.processId);
  }
}

/** Thrown instead of queueing a command for a Redis known to be away (the caller retries later). */
export class RedisAwayError extends Error {
  constructor() {
    super('Redis is not reachable');
    this.name = 'RedisAwayError';
  }
}

function toChanges(flat: readonly string[]): AgentChange[] {
  const changes: AgentChange[] = [];
  for (let i = 0; i + 3 < flat.length; i += 4) {
    changes.push({
      agentId: flat[i]!,
      state: flat[i + 1] as AgentStateName,
      previous: flat[i + 2] as AgentStateName,
      sinceMs: Number(flat[i + 3]),
    });
  }
  return changes;
}

function parseKept(text: string): { state: AgentStateName; sinceMs: number } {
  const bar = text.indexOf('|');
  return { state: text.slice(0, bar) as AgentStateName, sinceMs: Number(text.slice(bar + 1)) };
}
