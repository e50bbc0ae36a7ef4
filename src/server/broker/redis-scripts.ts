/**
 * The Lua scripts of the Redis broker. Each runs atomically in Redis, so a channel's seq, epoch
 * and history list always agree, and pub/sub order is seq order.
 *
 * Keys of a channel: `nexus:chan:<channel>` (hash: `seq`, `epoch`) and `nexus:hist:<channel>`
 * (list, oldest first, its last item is always `seq`). Each history item is
 * `<stored at, ms>|<message JSON>`; stored-at times never decrease along a list, so the age
 * bound is a cut at one index (found by binary search) and old items leave from the head.
 * Both keys expire `ttl` after the channel's last publish.
 *
 * A new channel generation (first publish or first position of a channel Redis does not know,
 * e.g. after it expired or Redis lost its data) gets the epoch `<nexus:epoch>.<n>` with `n` from
 * the counter `nexus:gen`. If the counter itself is missing (first use, or lost), `nexus:epoch`
 * is replaced by a fresh id too, so no epoch is ever handed out twice.
 *
 * Under `maxmemory` or on a read-only replica Redis refuses a script at its first write, so a
 * refused publish changes nothing.
 */

const HELPERS = `
local function stamp(item)
  return tonumber(string.match(item, '^(%d+)|'))
end
local function newGeneration(epochKey, generationKey, fresh)
  local base = redis.call('GET', epochKey)
  local n = redis.call('INCR', generationKey)
  if not base or n == 1 then
    base = fresh
    redis.call('SET', epochKey, base)
  end
  return base .. '.' .. n
end
`;

/**
 * History bytes, deployment-wide: `nexus:hist:bytes` holds the running total and
 * `nexus:hist:order` (sorted set) one entry per kept item, scored by the time it was stored,
 * member `<seq, 15 digits>|<epoch>|<channel>|<item bytes>` (seq first so one channel's items
 * stored in the same millisecond still sort in seq order). An item costs its bytes plus its
 * member plus a fixed overhead for the two structures. Every removal from a history list goes
 * through `dropHead`, which takes the item's cost off the total and its entry out of the index;
 * an entry whose item left another way (its list expired, or was replaced by a new generation)
 * is reconciled when it reaches the index's head: by age (`sweepAged`) or by budget
 * (`trimToBudget`). Popping the index's head always takes the oldest item of its own channel,
 * so a channel's history never has a hole.
 */
const BUDGET_HELPERS = `
local ENTRY_OVERHEAD = 96
local function entryOf(seq, epoch, channel, item)
  return string.format('%015d', seq) .. '|' .. epoch .. '|' .. channel .. '|' .. #item
end
local function costOf(member, itemBytes)
  return itemBytes + #member + ENTRY_OVERHEAD
end
local function dropHead(budget, chanKey, histKey, channel, epoch, headSeq)
  local item = redis.call('LPOP', histKey)
  if not item then return end
  local member = entryOf(headSeq, epoch, channel, item)
  if redis.call('ZREM', budget.order, member) == 1 then
    redis.call('DECRBY', budget.bytes, costOf(member, #item))
  end
end
local function forgetEntry(budget, member)
  local seq, epoch, channel, itemBytes = string.match(member, '^(%d+)|([^|]*)|([^|]*)|(%d+)$')
  redis.call('ZREM', budget.order, member)
  redis.call('DECRBY', budget.bytes, costOf(member, tonumber(itemBytes or '0')))
  if not channel then return end
  local chanKey, histKey = budget.prefix .. 'chan:' .. channel, budget.prefix .. 'hist:' .. channel
  local state = redis.call('HMGET', chanKey, 'seq', 'epoch')
  if state[2] ~= epoch then return end
  local head = tonumber(state[1]) - redis.call('LLEN', histKey) + 1
  if head == tonumber(seq) then redis.call('LPOP', histKey) end
end
local function sweepAged(budget, cutoff, limit)
  local aged = redis.call('ZRANGEBYSCORE', budget.order, '-inf', cutoff, 'LIMIT', 0, limit)
  for _, member in ipairs(aged) do forgetEntry(budget, member) end
end
local function trimToBudget(budget, limit)
  if budget.max <= 0 then return end
  local total = tonumber(redis.call('GET', budget.bytes) or '0')
  for _ = 1, limit do
    if total <= budget.max then return end
    local head = redis.call('ZRANGE', budget.order, 0, 0)
    if #head == 0 then
      redis.call('SET', budget.bytes, 0)
      return
    end
    forgetEntry(budget, head[1])
    total = tonumber(redis.call('GET', budget.bytes) or '0')
  end
end
`;

/**
 * Numbers, stores and publishes one message, then keeps history within its bounds: the channel's
 * count and age, and the deployment's byte budget.
 * KEYS: chan, hist, epoch, generation, history bytes, history order. ARGV: message JSON without
 * its closing brace, history size, pub/sub channel, fresh id, now ms, ttl ms, how many items the
 * count and age trims may remove now (the byte trim 16 times as many), history byte budget
 * (0 = none), key prefix, channel name. Keys of other channels are reached from the index (a
 * single Redis, not a cluster).
 * Returns {seq, epoch}.
 */
export const PUBLISH_SCRIPT = `${HELPERS}${BUDGET_HELPERS}
local now = tonumber(ARGV[5])
local ttl = tonumber(ARGV[6])
local steps = tonumber(ARGV[7])
local channel = ARGV[10]
local budget = { bytes = KEYS[5], order = KEYS[6], max = tonumber(ARGV[8]), prefix = ARGV[9] }
local state = redis.call('HMGET', KEYS[1], 'seq', 'epoch')
local epoch = state[2]
local seq
if epoch then
  seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
else
  epoch = newGeneration(KEYS[3], KEYS[4], ARGV[4])
  redis.call('DEL', KEYS[2])
  seq = 1
  redis.call('HSET', KEYS[1], 'seq', seq, 'epoch', epoch)
end
redis.call('PEXPIRE', KEYS[1], ttl)
local message = ARGV[1] .. ',"epoch":"' .. epoch .. '","seq":' .. seq .. '}'
local size = tonumber(ARGV[2])
local cutoff = now - ttl
if size > 0 then
  local at = now
  local last = redis.call('LINDEX', KEYS[2], -1)
  local lastAt = last and stamp(last)
  if lastAt and lastAt > at then at = lastAt end
  local item = string.format('%.0f', at) .. '|' .. message
  redis.call('RPUSH', KEYS[2], item)
  local member = entryOf(seq, epoch, channel, item)
  redis.call('ZADD', budget.order, at, member)
  redis.call('INCRBY', budget.bytes, costOf(member, #item))
  local length = redis.call('LLEN', KEYS[2])
  for _ = 1, steps do
    if length <= size then break end
    dropHead(budget, KEYS[1], KEYS[2], channel, epoch, seq - length + 1)
    length = length - 1
  end
  if length > size then redis.call('LTRIM', KEYS[2], -size, -1) end
  for _ = 1, steps do
    local head = redis.call('LINDEX', KEYS[2], 0)
    local headAt = head and stamp(head)
    if not headAt or headAt > cutoff then break end
    dropHead(budget, KEYS[1], KEYS[2], channel, epoch, seq - redis.call('LLEN', KEYS[2]) + 1)
  end
  redis.call('PEXPIRE', KEYS[2], ttl)
else
  redis.call('DEL', KEYS[2])
end
sweepAged(budget, cutoff, steps)
trimToBudget(budget, steps * 16)
redis.call('PEXPIRE', budget.order, ttl)
redis.call('PEXPIRE', budget.bytes, ttl)
redis.call('PUBLISH', ARGV[3], message)
return {seq, epoch}
`;

/**
 * A channel's position. When Redis does not know the channel and ARGV[5] is '1' (a process has
 * subscribers for it), its generation is created (seq 0), so the epoch answered is the one the
 * next publish uses; otherwise nothing is written and the epoch answered is `<nexus:epoch>.0`,
 * which no generation ever carries (they count from 1): a client holding it and resuming later
 * is told it was not recovered, because a generation may have come and gone meanwhile.
 * KEYS: chan, hist, epoch, generation. ARGV: fresh id, ttl ms, age cutoff ms, '1' to locate the
 * oldest young item, '1' to create. Returns {seq, epoch, history length, index of the oldest
 * young item, 1 when the generation exists}.
 */
export const OPEN_SCRIPT = `${HELPERS}
local state = redis.call('HMGET', KEYS[1], 'seq', 'epoch')
if not state[2] then
  if ARGV[5] ~= '1' then return {0, (redis.call('GET', KEYS[3]) or '') .. '.0', 0, 0, 0} end
  local epoch = newGeneration(KEYS[3], KEYS[4], ARGV[1])
  redis.call('HSET', KEYS[1], 'seq', 0, 'epoch', epoch)
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
  redis.call('DEL', KEYS[2])
  return {0, epoch, 0, 0, 1}
end
local length = redis.call('LLEN', KEYS[2])
local low, high = 0, length
if ARGV[4] == '1' then
  local cutoff = tonumber(ARGV[3])
  while low < high do
    local middle = math.floor((low + high) / 2)
    local at = stamp(redis.call('LINDEX', KEYS[2], middle))
    if at and at > cutoff then high = middle else low = middle + 1 end
  end
end
return {tonumber(state[1]), state[2], length, low, 1}
`;

/**
 * One page of a replay: items from seq `from` up to `to`, at most `max items`, ending once
 * `max bytes` are reached (at least one item). Items are read with LRANGE in chunks sized from
 * the items seen so far (one at first, then as many of that average size as still fit, at most
 * `chunk`), so a call copies little more than it returns and never keeps Redis busy for long,
 * however large each message is.
 * KEYS: chan, hist. ARGV: epoch, from, to, max items, max bytes, age cutoff ms, chunk.
 * Returns {'ok', items...}, {'gone'} (the generation ended) or {'trimmed'} (from is not kept).
 */
export const PAGE_SCRIPT = `${HELPERS}
local state = redis.call('HMGET', KEYS[1], 'seq', 'epoch')
if state[2] ~= ARGV[1] then return {'gone'} end
local seq = tonumber(state[1])
local oldest = seq - redis.call('LLEN', KEYS[2]) + 1
local from = tonumber(ARGV[2])
if from < oldest then return {'trimmed'} end
local first = from - oldest
local last = math.min(tonumber(ARGV[3]), seq) - oldest
last = math.min(last, first + tonumber(ARGV[4]) - 1)
local maxBytes = tonumber(ARGV[5])
local maxChunk = tonumber(ARGV[7])
local out = {'ok'}
local bytes = 0
local index = first
local chunk = 1
while index <= last and bytes < maxBytes do
  local items = redis.call('LRANGE', KEYS[2], index, math.min(index + chunk - 1, last))
  if #items == 0 then break end
  for _, item in ipairs(items) do
    if #out == 1 then
      local at = stamp(item)
      if not at or at <= tonumber(ARGV[6]) then return {'trimmed'} end
    end
    if bytes >= maxBytes then break end
    out[#out + 1] = item
    bytes = bytes + #item
  end
  index = index + #items
  local average = math.max(1, bytes / (#out - 1))
  chunk = math.max(1, math.min(maxChunk, math.floor((maxBytes - bytes) / average)))
end
return out
`;
