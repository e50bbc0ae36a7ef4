/**
 * Where the audit log lives: written in batches by each process's `AuditLog` (domain/), read by
 * `GET /api/audit`. Entries are kept newest last and trimmed to the newest `maxEntries`. A folded
 * entry (refusals of one user and action within a minute) has an id every process derives alike:
 * its first write creates it, later writes only add to its `count`, so the deployment keeps one
 * entry a minute for it however many processes saw the refusals.
 *
 * One process keeps the log in memory (`MemoryAuditStore`, lost with the process as the memory
 * broker's history is); with Redis it is shared and survives restarts (redis-audit.ts).
 */
import type { AuditEntry } from '@nexus-realtime/client/protocol';

/** An entry as written: its id, its time in ms, and for a folded entry the refusals to add. */
export interface AuditWrite {
  readonly id: string;
  readonly atMs: number;
  /** The entry without `count`. */
  readonly entry: AuditEntry;
  /** Refusals to add to the folded entry `id` (absent: a plain entry). */
  readonly count?: number;
}

/** What `GET /api/audit` asks for; `sinceMs`/`untilMs` are inclusive. */
export interface AuditQuery {
  readonly sinceMs?: number;
  readonly untilMs?: number;
  readonly userId?: string;
  readonly action?: string;
  readonly limit: number;
}

export interface AuditStore {
  /** Adds the entries (and folded counts) and keeps the newest `maxEntries`. */
  append(writes: readonly AuditWrite[], maxEntries: number): Promise<void>;
  /** The matching entries, newest first, at most `limit`. */
  query(query: AuditQuery): Promise<AuditEntry[]>;
}

/** True when the entry passes the query's filters (its time is checked by the caller). */
export function matchesAudit(entry: AuditEntry, query: AuditQuery): boolean {
  return (
    (query.userId === undefined || entry.userId === query.userId) &&
    (query.action === undefined || entry.action === query.action)
  );
}

interface KeptAudit {
  readonly id: string;
  readonly atMs: number;
  readonly entry: AuditEntry;
  count: number | undefined;
}

/** The audit log of a one-process deployment, in memory. */
export class MemoryAuditStore implements AuditStore {
  /** Oldest first, in the order written, from `#first` on (the slots before it are trimmed). */
  #entries: KeptAudit[] = [];
  #first = 0;
  /** Folded entries by id (so later refusals add to them), while kept. */
  readonly #folded = new Map<string, KeptAudit>();

  append(writes: readonly AuditWrite[], maxEntries: number): Promise<void> {
    for (const write of writes) this.#add(write);
    while (this.size > maxEntries) {
      const oldest = this.#entries[this.#first++]!;
      if (oldest.count !== undefined) this.#folded.delete(oldest.id);
    }
    // The trimmed slots are given back once they are half the array.
    if (this.#first > 1024 && this.#first * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#first);
      this.#first = 0;
    }
    return Promise.resolve();
  }

  query(query: AuditQuery): Promise<AuditEntry[]> {
    const found: AuditEntry[] = [];
    for (let i = this.#entries.length - 1; i >= this.#first && found.length < query.limit; i--) {
      const kept = this.#entries[i]!;
      if (query.untilMs !== undefined && kept.atMs > query.untilMs) continue;
      if (query.sinceMs !== undefined && kept.atMs < query.sinceMs) continue;
      if (!matchesAudit(kept.entry, query)) continue;
      found.push(kept.count === undefined ? kept.entry : { ...kept.entry, count: kept.count });
    }
    return Promise.resolve(found);
  }

  get size(): number {
    return this.#entries.length - this.#first;
  }

  #add(write: AuditWrite): void {
    if (write.count !== undefined) {
      const folded = this.#folded.get(write.id);
      if (folded) {
        folded.count = (folded.count ?? 0) + write.count;
        return;
      }
    }
    const kept: KeptAudit = { id: write.id, atMs: write.atMs, entry: write.entry, count: write.count };
    this.#entries.push(kept);
    if (write.count !== undefined) this.#folded.set(write.id, kept);
  }
}
