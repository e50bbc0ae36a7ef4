/**
 * The Lua the rollup archive runs in Redis: writing one record into each of many rings in one call, and
 * keeping the writer's lease. A ring write of a thousand series is one call of about a
 * millisecond, so 60,000 series a second are sixty short calls, never one long one.
 */

/**
 * Writes record `i` of a blob of equal-sized records at `offset` of ring `prefix .. name[i]`,
 * allocating a new ring whole (its last byte written first) and setting its expiry when new, and
 * on every call whose `refresh` is 1 (the writer refreshes each ring's expiry every few laps of
 * its slot, not on every write).
 * ARGV: prefix, offset, ring bytes, record bytes, expiry ms, refresh (0/1), names ("\n"-joined), records.
 * Returns how many rings were written.
 */
const WRITE_RINGS_SCRIPT = `
local prefix, offset, ringBytes = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local size, ttl, refresh = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6] == '1'
local names, records = ARGV[7], ARGV[8]
local pos, i = 1, 0
while true do
  local stop = string.find(names, '\\n', pos, true)
  local key = prefix .. string.sub(names, pos, (stop or 0) - 1)
  local fresh = redis.call('EXISTS', key) == 0
  if fresh then redis.call('SETRANGE', key, ringBytes - 1, '\\0') end
  redis.call('SETRANGE', key, offset, string.sub(records, i * size + 1, (i + 1) * size))
  if fresh or refresh then redis.call('PEXPIRE', key, ttl) end
  i = i + 1
  if not stop then break end
  pos = stop + 1
end
return i
`;

/**
 * Writes record `i` of a blob of equal-sized records into series ring `prefix .. name`, where
 * line `i` of `lines` is "<offset> <length> <name>": a ring shorter than `length` first grows to
 * it, rewritten whole (so Redis allocates exactly its length, not the doubling `SETRANGE`
 * growth would leave), a new one with its expiry; every ring's expiry is refreshed when
 * `refresh` is 1.
 * ARGV: prefix, record bytes, expiry ms, refresh (0/1), lines ("\n"-joined), records.
 * Returns how many rings were written.
 */
const WRITE_SERIES_SCRIPT = `
local prefix, size, ttl, refresh = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4] == '1'
local lines, records = ARGV[5], ARGV[6]
local pos, i = 1, 0
while true do
  local stop = string.find(lines, '\\n', pos, true)
  local offset, need, name = string.match(string.sub(lines, pos, (stop or 0) - 1), '^(%d+) (%d+) (.*)$')
  local key = prefix .. name
  need = tonumber(need)
  local len = redis.call('STRLEN', key)
  if len == 0 then
    redis.call('SET', key, string.rep('\\0', need), 'PX', ttl)
  elseif len < need then
    redis.call('SET', key, redis.call('GET', key) .. string.rep('\\0', need - len), 'KEEPTTL')
  end
  redis.call('SETRANGE', key, tonumber(offset), string.sub(records, i * size + 1, (i + 1) * size))
  if refresh and len > 0 then redis.call('PEXPIRE', key, ttl) end
  i = i + 1
  if not stop then break end
  pos = stop + 1
end
return i
`;

/**
 * Takes the writer's lease when free, or renews it when held by `owner`.
 * KEYS: lease. ARGV: owner, lease ms. Returns 2 when `owner` just took the lease (what Redis
 * holds may not be what it wrote before: Redis may have restarted empty), 1 when it renewed it,
 * 0 when another process holds it.
 */
const HOLD_LEASE_SCRIPT = `
if redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return 2 end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`;

/** Gives the lease up when held by `owner`. KEYS: lease. ARGV: owner. */
const RELEASE_LEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** The commands `defineRollupScripts` adds to a connection (and to its pipelines). */
export interface RollupScripts {
  nexusWriteRings(...args: (string | number | Buffer)[]): Promise<number>;
  nexusWriteSeries(...args: (string | number | Buffer)[]): Promise<number>;
  nexusHoldLease(key: string, owner: string, leaseMs: number): Promise<number>;
  nexusReleaseLease(key: string, owner: string): Promise<number>;
}

/** A connection that can define Lua commands (ioredis: cached by SHA, re-sent on NOSCRIPT). */
interface ScriptHost {
  defineCommand(name: string, definition: { lua: string; numberOfKeys?: number }): void;
}

export function defineRollupScripts(connection: ScriptHost): void {
  connection.defineCommand('nexusWriteRings', { numberOfKeys: 0, lua: WRITE_RINGS_SCRIPT });
  connection.defineCommand('nexusWriteSeries', { numberOfKeys: 0, lua: WRITE_SERIES_SCRIPT });
  connection.defineCommand('nexusHoldLease', { numberOfKeys: 1, lua: HOLD_LEASE_SCRIPT });
  connection.defineCommand('nexusReleaseLease', { numberOfKeys: 1, lua: RELEASE_LEASE_SCRIPT });
}
