/** Connection rows as the data plane table shows them: rates from two snapshots, sorting, slow consumers. */
import { Defaults, type AdminConnection } from '@nexus-realtime/client/protocol';

export type SortKey = 'bufferedBytes' | 'rate' | 'dropped';

export interface ConnectionRow extends AdminConnection {
  /** Frames sent per second since the previous snapshot. */
  readonly rate: number;
  /** Near the slow-consumer limit. */
  readonly slow: boolean;
}

/** A connection with at least this share of the limit buffered stands out. */
export const SLOW_SHARE = 0.5;

export interface Sample {
  readonly atMs: number;
  readonly framesOut: number;
}

/** Adds rates (against the previous samples, which it updates) and the slow flag, sorted descending by `sort`. */
export function toRows(
  connections: readonly AdminConnection[],
  samples: Map<string, Sample>,
  nowMs: number,
  sort: SortKey,
  maxBufferedBytes: number = Defaults.maxBufferedBytes,
): ConnectionRow[] {
  const seen = new Set<string>();
  const rows = connections.map((c) => {
    seen.add(c.connectionId);
    const before = samples.get(c.connectionId);
    const elapsed = before ? nowMs - before.atMs : 0;
    const rate = before && elapsed > 0 ? Math.max(0, ((c.framesOut - before.framesOut) * 1000) / elapsed) : 0;
    if (!before || elapsed >= 500) samples.set(c.connectionId, { atMs: nowMs, framesOut: c.framesOut });
    return { ...c, rate: Math.round(rate * 10) / 10, slow: c.bufferedBytes >= maxBufferedBytes * SLOW_SHARE };
  });
  for (const id of samples.keys()) if (!seen.has(id)) samples.delete(id);
  return rows.sort((a, b) => b[sort] - a[sort] || a.connectionId.localeCompare(b.connectionId));
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Characters of a process id shown when the process does not send its `host:port` name. */
const SHORT_PROCESS_ID_LENGTH = 8;

/** The process column: its `host:port` name, or the start of its id from a process that sends none. */
export function processLabel(connection: Pick<AdminConnection, 'process' | 'processAddress'>): string {
  return connection.processAddress ?? connection.process.slice(0, SHORT_PROCESS_ID_LENGTH);
}
