/**
 * The publish history as stored in localStorage: newest first, at most MAX_HISTORY entries.
 * Storage is outside our control (other versions, other tabs, people editing it), so what is
 * read back is validated and anything unreadable counts as an empty history.
 */
import { z } from 'zod';

export const HISTORY_KEY = 'nexus.console.history';
export const MAX_HISTORY = 50;

const historyEntrySchema = z.object({
  id: z.string(),
  channel: z.string(),
  /** Compact JSON text of the payload as sent. */
  payload: z.string(),
  sentAtMs: z.number(),
  /** The ack or the error; absent while the send waits for its reply. */
  outcome: z
    .discriminatedUnion('ok', [
      z.object({ ok: z.literal(true), seq: z.number() }),
      z.object({ ok: z.literal(false), code: z.string(), message: z.string() }),
    ])
    .optional(),
});
export type HistoryEntry = z.infer<typeof historyEntrySchema>;
export type SendOutcome = NonNullable<HistoryEntry['outcome']>;

export function loadHistory(storage: Storage | undefined = safeLocalStorage()): HistoryEntry[] {
  try {
    const raw = storage?.getItem(HISTORY_KEY);
    if (!raw) return [];
    const parsed = z.array(historyEntrySchema).safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data.slice(0, MAX_HISTORY) : [];
  } catch {
    return [];
  }
}

/** Stores the history; when it does not fit the quota (large payloads), keeps the newest half, and so on. */
export function saveHistory(entries: readonly HistoryEntry[], storage: Storage | undefined = safeLocalStorage()): void {
  let kept = entries.slice(0, MAX_HISTORY);
  for (;;) {
    try {
      if (kept.length === 0) storage?.removeItem(HISTORY_KEY);
      else storage?.setItem(HISTORY_KEY, JSON.stringify(kept));
      return;
    } catch {
      // Quota exceeded, or storage disabled: the full history still lives in this page.
      if (kept.length === 0) return;
      kept = kept.slice(0, Math.floor(kept.length / 2));
    }
  }
}

/** Prepends an entry, keeping the newest MAX_HISTORY. */
export function prependEntry(entries: readonly HistoryEntry[], entry: HistoryEntry): HistoryEntry[] {
  return [entry, ...entries].slice(0, MAX_HISTORY);
}

/** Merely touching `localStorage` throws in some sandboxed iframes and privacy modes. */
function safeLocalStorage(): Storage | undefined {
  try {
    return globalThis.localStorage;
  } catch {
    return undefined;
  }
}
