/**
 * The few things every process shares besides messages, each a small call on the command
 * connection: task state (a hash of the latest state per task and a sorted set by creation
 * time, trimmed to a capacity, written by one script), one-winner decisions (`SET NX PX`) and
 * agent presence (a sorted set scored by the last announcement).
 */
import { PRESENCE_KEY, TASKS_BY_CREATED_KEY, TASKS_KEY, claimKey } from './redis-keys.js';

/**
 * Stores a task's latest state and keeps the newest `capacity` tasks.
 * KEYS: tasks hash, created index. ARGV: id, JSON, created ms, capacity.
 */
const PUT_TASK_SCRIPT = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], 'NX', ARGV[3], ARGV[1])
local extra = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
if extra > 0 then
  local old = redis.call('ZPOPMIN', KEYS[2], extra)
  for i = 1, #old, 2 do redis.call('HDEL', KEYS[1], old[i]) end
end
return 1
`;

/** The command `defineSharedStateScripts` adds to a connection. */
export interface SharedStateScripts {
  nexusPutTask(...keysAndArgs: string[]): Promise<number>;
}

/** A connection that can define Lua commands (ioredis: cached by SHA, re-sent on NOSCRIPT). */
interface ScriptHost {
  defineCommand(name: string, definition: { lua: string; numberOfKeys?: number }): void;
}

export function defineSharedStateScripts(connection: ScriptHost): void {
  connection.defineCommand('nexusPutTask', { numberOfKeys: 2, lua: PUT_TASK_SCRIPT });
}

/** A task as stored in Redis: an id, its JSON and its creation time. */
export interface StoredTask {
  readonly task_id: string;
  readonly created_at: string;
}

/** What is used of the command connection. */
export interface SharedStateCommands extends SharedStateScripts {
  zrevrange(key: string, start: number, stop: number): Promise<string[]>;
  hmget(key: string, ...fields: string[]): Promise<(string | null)[]>;
  set(key: string, value: string, unit: 'PX', milliseconds: number, mode: 'NX'): Promise<'OK' | null>;
  multi(): PresenceTransaction;
}
interface PresenceTransaction {
  zadd(key: string, ...scoresAndMembers: string[]): PresenceTransaction;
  zremrangebyscore(key: string, min: string, max: string): PresenceTransaction;
  zrange(key: string, start: string, stop: string): PresenceTransaction;
  pexpire(key: string, milliseconds: number): PresenceTransaction;
  exec(): Promise<[error: Error | null, result: unknown][] | null>;
}

/** Stores a task's latest state and keeps the newest `capacity` tasks. */
export async function putTask(
  commands: SharedStateCommands,
  task: StoredTask,
  capacity: number,
  nowMs: number,
): Promise<void> {
  const createdMs = Date.parse(task.created_at) || nowMs;
  await commands.nexusPutTask(
    TASKS_KEY,
    TASKS_BY_CREATED_KEY,
    task.task_id,
    JSON.stringify(task),
    String(createdMs),
    String(capacity),
  );
}

/** The newest `limit` stored tasks, oldest first. */
export async function loadTasks<T extends StoredTask>(commands: SharedStateCommands, limit: number): Promise<T[]> {
  const ids = await commands.zrevrange(TASKS_BY_CREATED_KEY, 0, limit - 1);
  if (ids.length === 0) return [];
  const texts = await commands.hmget(TASKS_KEY, ...ids);
  return texts.flatMap((text) => (text ? [JSON.parse(text) as T] : [])).reverse();
}

/**
 * True for exactly one caller per `name` across every process on this Redis (SET NX), for
 * `ttlMs`: e.g. the one process that declares a task's timeout.
 */
export async function claimOnce(
  commands: SharedStateCommands,
  name: string,
  owner: string,
  ttlMs: number,
): Promise<boolean> {
  return (await commands.set(claimKey(name), owner, 'PX', ttlMs, 'NX')) === 'OK';
}

/**
 * Announces the agents connected to this process and answers every agent announced by any
 * process within `windowMs` (older entries removed).
 */
export async function announcePresence(
  commands: SharedStateCommands,
  agentIds: readonly string[],
  windowMs: number,
  nowMs: number,
): Promise<Set<string>> {
  const transaction = commands.multi();
  if (agentIds.length > 0) transaction.zadd(PRESENCE_KEY, ...agentIds.flatMap((id) => [String(nowMs), id]));
  transaction.zremrangebyscore(PRESENCE_KEY, '-inf', String(nowMs - windowMs));
  transaction.zrange(PRESENCE_KEY, '0', '-1');
  transaction.pexpire(PRESENCE_KEY, windowMs * 2);
  const results = (await transaction.exec()) ?? [];
  const members = results[agentIds.length > 0 ? 2 : 1]?.[1];
  return new Set(Array.isArray(members) ? (members as string[]) : []);
}
