/**
 * Alerts and alert rules in Redis, shared by every process and kept across restarts. Each fire,
 * resolve, acknowledgement and rule replacement is one Lua script, so it is decided once for the
 * deployment and a process killed at any moment leaves either the whole change or none of it.
 *
 * Keys (redis-keys.ts): the alerts hash (id → `<key>\n<alert JSON>`), their order by start time,
 * the open pointers (key → id of the firing alert), the once pointers of task alerts, the rules
 * (JSON), their ids (a fire for a rule not among them is refused) and their version. A script edits an alert's JSON as text: the fields it changes
 * (`state`, and the appended `resolved_at`, `acknowledged_by`, `acknowledged_at`) are written
 * by this module, and a bare `"state":"firing"` cannot occur inside a JSON string (its quotes
 * would be escaped).
 */
import type { Alert, AlertRule } from '@nexus-realtime/client/protocol';
import {
  type AlertAckOutcome,
  type AlertOp,
  type AlertQuery,
  type AlertRetention,
  type AlertRuleSet,
  type AlertStore,
} from './alert-store.js';
import {
  ALERTS_KEY,
  ALERTS_ONCE_KEY,
  ALERTS_OPEN_KEY,
  ALERTS_ORDER_KEY,
  ALERTS_PENDING_KEY,
  ALERT_RULE_IDS_KEY,
  ALERT_RULES_KEY,
  ALERT_RULES_VERSION_KEY,
} from './redis-keys.js';

/**
 * Helpers every alert script shares. KEYS[1] alerts, KEYS[2] order, KEYS[3] open, KEYS[4] once;
 * PENDING (a local each script sets first) the changes not yet confirmed published.
 */
const COMMON = `
local function decided(id)
  local t = redis.call('TIME')
  redis.call('ZADD', PENDING, tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000), id)
end
local function split(stored)
  local at = string.find(stored, '\\n', 1, true)
  return string.sub(stored, 1, at - 1), string.sub(stored, at + 1)
end
local function resolve(key, iso)
  local id = redis.call('HGET', KEYS[3], key)
  if not id then return nil end
  redis.call('HDEL', KEYS[3], key)
  local stored = redis.call('HGET', KEYS[1], id)
  if not stored then return nil end
  local k, json = split(stored)
  local a, b = string.find(json, '"state":"firing"', 1, true)
  if not a then return nil end
  json = string.sub(json, 1, a - 1) .. '"state":"resolved"' .. string.sub(json, b + 1, -2) ..
    ',"resolved_at":"' .. iso .. '"}'
  redis.call('HSET', KEYS[1], id, k .. '\\n' .. json)
  decided(id)
  return json
end
`;

/**
 * KEYS[5] the rule ids, KEYS[6] pending. ARGV: now ms, keep ms, max alerts, then per op
 * `f key id startedMs json once rule` or `r key iso - - - -`.
 */
const APPLY_SCRIPT = `local PENDING = KEYS[6]
${COMMON}
local changed = {}
local i = 4
while i <= #ARGV do
  local op, key = ARGV[i], ARGV[i + 1]
  if op == 'f' then
    local blocked = redis.call('SISMEMBER', KEYS[5], ARGV[i + 6]) == 0 or
      redis.call('HEXISTS', KEYS[3], key) == 1 or
      (ARGV[i + 5] == '1' and redis.call('HEXISTS', KEYS[4], key) == 1)
    if not blocked then
      redis.call('HSET', KEYS[1], ARGV[i + 2], key .. '\\n' .. ARGV[i + 4])
      redis.call('ZADD', KEYS[2], ARGV[i + 3], ARGV[i + 2])
      redis.call('HSET', KEYS[3], key, ARGV[i + 2])
      if ARGV[i + 5] == '1' then redis.call('HSET', KEYS[4], key, ARGV[i + 2]) end
      decided(ARGV[i + 2])
      changed[#changed + 1] = ARGV[i + 4]
    end
  else
    local json = resolve(key, ARGV[i + 2])
    if json then changed[#changed + 1] = json end
  end
  i = i + 7
end
local oldest = tonumber(ARGV[1]) - tonumber(ARGV[2])
local max = tonumber(ARGV[3])
for _ = 1, 1000 do
  local head = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  if #head == 0 then break end
  local id = head[1]
  local stored = redis.call('HGET', KEYS[1], id)
  local over = redis.call('ZCARD', KEYS[2]) > max
  local expired = stored and tonumber(head[2]) < oldest and
    string.find(stored, '"state":"resolved"', 1, true) ~= nil
  if stored and not over and not expired then break end
  redis.call('ZREM', KEYS[2], id)
  redis.call('HDEL', KEYS[1], id)
  redis.call('ZREM', PENDING, id)
  if stored then
    local key = split(stored)
    if redis.call('HGET', KEYS[3], key) == id then redis.call('HDEL', KEYS[3], key) end
    if redis.call('HGET', KEYS[4], key) == id then redis.call('HDEL', KEYS[4], key) end
  end
end
return changed
`;

/**
 * KEYS[5] pending. ARGV: id, acknowledged fields as JSON text
 * (`,"acknowledged_by":…,"acknowledged_at":…`), iso.
 */
const ACK_SCRIPT = `local PENDING = KEYS[5]
${COMMON}
local stored = redis.call('HGET', KEYS[1], ARGV[1])
if not stored then return nil end
local key, json = split(stored)
if string.find(json, '"acknowledged_by":', 1, true) then return {0, json} end
redis.call('HSET', KEYS[1], ARGV[1], key .. '\\n' .. string.sub(json, 1, -2) .. ARGV[2] .. '}')
decided(ARGV[1])
if string.find(json, '"task_id":', 1, true) and redis.call('HGET', KEYS[3], key) == ARGV[1] then
  resolve(key, ARGV[3])
end
local _, now = split(redis.call('HGET', KEYS[1], ARGV[1]))
return {1, now}
`;

/**
 * KEYS[1] alerts, KEYS[2] order, KEYS[3] open, KEYS[4] once, KEYS[5] rule ids, KEYS[6] rules,
 * KEYS[7] version, KEYS[8] pending. ARGV: rules JSON, iso, then the kept rule ids.
 */
const REPLACE_RULES_SCRIPT = `local PENDING = KEYS[8]
${COMMON}
local kept = {}
redis.call('DEL', KEYS[5])
for i = 3, #ARGV do
  kept[ARGV[i]] = true
  redis.call('SADD', KEYS[5], ARGV[i])
end
redis.call('SET', KEYS[6], ARGV[1])
local version = redis.call('INCR', KEYS[7])
local resolved = {}
local open = redis.call('HKEYS', KEYS[3])
for _, key in ipairs(open) do
  local rule = cjson.decode(key)[1]
  if not kept[rule] then
    local json = resolve(key, ARGV[2])
    if json then resolved[#resolved + 1] = json end
  end
end
return {version, resolved}
`;

/**
 * KEYS[1] alerts, KEYS[2] pending. ARGV: grace ms, limit. Takes the changes left unpublished for
 * longer than the grace (by Redis's clock) and answers those alerts as they are now.
 */
const UNANNOUNCED_SCRIPT = `
local t = redis.call('TIME')
local before = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) - tonumber(ARGV[1])
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', before, 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[2], id)
  local stored = redis.call('HGET', KEYS[1], id)
  if stored then out[#out + 1] = stored end
end
return out
`;

/** What is used of the command connection. */
export interface AlertCommands {
  defineCommand(name: string, definition: { lua: string; numberOfKeys?: number }): void;
  nexusAlertApply(...keysAndArgs: string[]): Promise<string[]>;
  nexusAlertAck(...keysAndArgs: string[]): Promise<[number, string] | null>;
  nexusAlertRules(...keysAndArgs: string[]): Promise<[number, string[]]>;
  nexusAlertUnannounced(...keysAndArgs: string[]): Promise<string[]>;
  zrem(key: string, ...members: string[]): Promise<number>;
  zrevrange(key: string, start: number, stop: number): Promise<string[]>;
  hmget(key: string, ...fields: string[]): Promise<(string | null)[]>;
  hvals(key: string): Promise<string[]>;
  mget(...keys: string[]): Promise<(string | null)[]>;
  get(key: string): Promise<string | null>;
}

export interface RedisAlertOptions {
  readonly retention: AlertRetention;
  /** Tells the broker how a write went (an error may mean Redis refuses writes). */
  readonly wrote?: (error?: Error) => void;
}

const ALERT_KEYS = [ALERTS_KEY, ALERTS_ORDER_KEY, ALERTS_OPEN_KEY, ALERTS_ONCE_KEY];
/** Ids read per round trip while answering a list. */
const LIST_PAGE = 1000;

export class RedisAlertStore implements AlertStore {
  constructor(
    private readonly commands: AlertCommands,
    private readonly options: RedisAlertOptions,
  ) {
    commands.defineCommand('nexusAlertApply', { numberOfKeys: 6, lua: APPLY_SCRIPT });
    commands.defineCommand('nexusAlertAck', { numberOfKeys: 5, lua: ACK_SCRIPT });
    commands.defineCommand('nexusAlertRules', { numberOfKeys: 8, lua: REPLACE_RULES_SCRIPT });
    commands.defineCommand('nexusAlertUnannounced', { numberOfKeys: 2, lua: UNANNOUNCED_SCRIPT });
  }

  async apply(ops: readonly AlertOp[], nowMs: number): Promise<Alert[]> {
    const { keepMs, maxAlerts } = this.options.retention;
    const args = [String(nowMs), String(keepMs), String(maxAlerts)];
    for (const op of ops) {
      if (op.op === 'fire') {
        const startedMs = String(Date.parse(op.alert.started_at));
        args.push('f', op.key, op.alert.id, startedMs, JSON.stringify(op.alert), op.once ? '1' : '0', op.alert.rule);
      } else args.push('r', op.key, new Date(op.atMs).toISOString(), '-', '-', '-', '-');
    }
    const keys = [...ALERT_KEYS, ALERT_RULE_IDS_KEY, ALERTS_PENDING_KEY];
    const changed = await this.#write(() => this.commands.nexusAlertApply(...keys, ...args));
    return changed.map((json) => JSON.parse(json) as Alert);
  }

  async acknowledge(id: string, userId: string, atMs: number): Promise<AlertAckOutcome | undefined> {
    const iso = new Date(atMs).toISOString();
    const fields = `,"acknowledged_by":${JSON.stringify(userId)},"acknowledged_at":"${iso}"`;
    const answer = await this.#write(() =>
      this.commands.nexusAlertAck(...ALERT_KEYS, ALERTS_PENDING_KEY, id, fields, iso),
    );
    if (!answer) return undefined;
    return { alert: JSON.parse(answer[1]) as Alert, changed: answer[0] === 1 };
  }

  async list(query: AlertQuery): Promise<Alert[]> {
    const found: Alert[] = [];
    for (let offset = 0; found.length < query.limit; offset += LIST_PAGE) {
      const ids = await this.commands.zrevrange(ALERTS_ORDER_KEY, offset, offset + LIST_PAGE - 1);
      if (ids.length === 0) break;
      for (const stored of await this.commands.hmget(ALERTS_KEY, ...ids)) {
        if (!stored || found.length >= query.limit) continue;
        const alert = parseStored(stored);
        if (query.state === undefined || alert.state === query.state) found.push(alert);
      }
      if (ids.length < LIST_PAGE) break;
    }
    return found;
  }

  async firing(): Promise<Alert[]> {
    const ids = await this.commands.hvals(ALERTS_OPEN_KEY);
    if (ids.length === 0) return [];
    const stored = await this.commands.hmget(ALERTS_KEY, ...ids);
    return stored.flatMap((text) => (text ? [parseStored(text)] : []));
  }

  async rules(): Promise<AlertRuleSet | undefined> {
    const [rules, version] = await this.commands.mget(ALERT_RULES_KEY, ALERT_RULES_VERSION_KEY);
    if (rules === null || rules === undefined) return undefined;
    return { version: Number(version ?? 0), rules: JSON.parse(rules) as AlertRule[] };
  }

  async rulesVersion(): Promise<number> {
    return Number((await this.commands.get(ALERT_RULES_VERSION_KEY)) ?? 0);
  }

  async replaceRules(rules: readonly AlertRule[], atMs: number): Promise<{ version: number; resolved: Alert[] }> {
    const keys = [...ALERT_KEYS, ALERT_RULE_IDS_KEY, ALERT_RULES_KEY, ALERT_RULES_VERSION_KEY, ALERTS_PENDING_KEY];
    const args = [JSON.stringify(rules), new Date(atMs).toISOString(), ...rules.map((rule) => rule.id)];
    const [version, resolved] = await this.#write(() => this.commands.nexusAlertRules(...keys, ...args));
    return { version: Number(version), resolved: resolved.map((json) => JSON.parse(json) as Alert) };
  }

  async announced(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.#write(() => this.commands.zrem(ALERTS_PENDING_KEY, ...ids));
  }

  async unannounced(graceMs: number, limit: number): Promise<Alert[]> {
    const stored = await this.#write(() =>
      this.commands.nexusAlertUnannounced(ALERTS_KEY, ALERTS_PENDING_KEY, String(graceMs), String(limit)),
    );
    return stored.map(parseStored);
  }

  async #write<T>(call: () => Promise<T>): Promise<T> {
    try {
      const result = await call();
      this.options.wrote?.();
      return result;
    } catch (error) {
      this.options.wrote?.(error as Error);
      throw error;
    }
  }
}

/** An alert as stored: its key, a line break, its JSON. */
function parseStored(stored: string): Alert {
  return JSON.parse(stored.slice(stored.indexOf('\n') + 1)) as Alert;
}
