/**
 * The audit log in Redis, shared by every process and kept across restarts: a hash of entries
 * (JSON) by id, a hash of the counts of folded entries, and a sorted set of ids by time, trimmed
 * to the newest `maxEntries` by the same script that writes a batch. A folded entry's first write
 * creates it (`HSETNX`, so two processes folding the same user and minute share one entry);
 * every write adds its refusals to the count.
 *
 * Reading walks the sorted set newest first a page at a time and filters as it goes, so a query
 * for one user over the full log costs a bounded number of round trips, never one huge answer.
 */
import type { AuditEntry } from '@nexus-realtime/client/protocol';
import { matchesAudit, type AuditQuery, type AuditStore, type AuditWrite } from './audit-store.js';
import { AUDIT_COUNTS_KEY, AUDIT_ENTRIES_KEY, AUDIT_ORDER_KEY } from './redis-keys.js';

/** Entries trimmed per batch at most, so lowering the bound never holds Redis for long. */
const MAX_TRIM_PER_BATCH = 5000;
/** Ids read per round trip while answering a query. */
const QUERY_PAGE = 1000;

/**
 * KEYS: entries hash, counts hash, order set. ARGV: maxEntries, maxTrim, then per entry
 * id, ms, JSON, count to add (0: a plain entry).
 */
const APPEND_SCRIPT = `
for i = 3, #ARGV, 4 do
  local id = ARGV[i]
  if redis.call('HSETNX', KEYS[1], id, ARGV[i + 2]) == 1 then
    redis.call('ZADD', KEYS[3], ARGV[i + 1], id)
  end
  local n = tonumber(ARGV[i + 3])
  if n > 0 then redis.call('HINCRBY', KEYS[2], id, n) end
end
local extra = math.min(redis.call('ZCARD', KEYS[3]) - tonumber(ARGV[1]), tonumber(ARGV[2]))
if extra > 0 then
  local old = redis.call('ZPOPMIN', KEYS[3], extra)
  for j = 1, #old, 2 do
    redis.call('HDEL', KEYS[1], old[j])
    redis.call('HDEL', KEYS[2], old[j])
  end
end
return 1
`;

/** What is used of the command connection. */
export interface AuditCommands {
  defineCommand(name: string, definition: { lua: string; numberOfKeys?: number }): void;
  nexusAuditAppend(...keysAndArgs: string[]): Promise<number>;
  zrevrangebyscore(
    key: string,
    max: string,
    min: string,
    limit: 'LIMIT',
    offset: number,
    count: number,
  ): Promise<string[]>;
  hmget(key: string, ...fields: string[]): Promise<(string | null)[]>;
}

export interface RedisAuditOptions {
  /** Tells the broker how a write went (an error may mean Redis refuses writes). */
  readonly wrote?: (error?: Error) => void;
}

export class RedisAuditStore implements AuditStore {
  constructor(
    private readonly commands: AuditCommands,
    private readonly options: RedisAuditOptions = {},
  ) {
    commands.defineCommand('nexusAuditAppend', { numberOfKeys: 3, lua: APPEND_SCRIPT });
  }

  async append(writes: readonly AuditWrite[], maxEntries: number): Promise<void> {
    if (writes.length === 0) return;
    const args: string[] = [String(maxEntries), String(MAX_TRIM_PER_BATCH)];
    for (const { id, atMs, entry, count } of writes)
      args.push(id, String(atMs), JSON.stringify(entry), String(count ?? 0));
    try {
      await this.commands.nexusAuditAppend(AUDIT_ENTRIES_KEY, AUDIT_COUNTS_KEY, AUDIT_ORDER_KEY, ...args);
      this.options.wrote?.();
    } catch (error) {
      this.options.wrote?.(error as Error);
      throw error;
    }
  }

  async query(query: AuditQuery): Promise<AuditEntry[]> {
    const max = query.untilMs === undefined ? '+inf' : String(query.untilMs);
    const min = query.sinceMs === undefined ? '-inf' : String(query.sinceMs);
    const found: AuditEntry[] = [];
    for (let offset = 0; found.length < query.limit; offset += QUERY_PAGE) {
      const ids = await this.commands.zrevrangebyscore(AUDIT_ORDER_KEY, max, min, 'LIMIT', offset, QUERY_PAGE);
      if (ids.length === 0) break;
      const [texts, counts] = await Promise.all([
        this.commands.hmget(AUDIT_ENTRIES_KEY, ...ids),
        this.commands.hmget(AUDIT_COUNTS_KEY, ...ids),
      ]);
      for (let i = 0; i < ids.length && found.length < query.limit; i++) {
        const text = texts[i];
        if (!text) continue;
        const entry = JSON.parse(text) as AuditEntry;
        if (!matchesAudit(entry, query)) continue;
        const count = counts[i];
        found.push(count ? { ...entry, count: Number(count) } : entry);
      }
      if (ids.length < QUERY_PAGE) break;
    }
    return found;
  }
}
