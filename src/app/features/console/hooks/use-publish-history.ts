/** The publish history (UI state of this console), mirrored to localStorage on every change. */
import { useCallback, useEffect, useState } from 'react';
import { loadHistory, prependEntry, saveHistory, type HistoryEntry, type SendOutcome } from '../utils/history';

export interface PublishHistory {
  readonly entries: readonly HistoryEntry[];
  /** Adds a send that is still waiting for its ack; returns its id for `settle`. */
  record(channel: string, payload: string): string;
  settle(id: string, outcome: SendOutcome): void;
  clear(): void;
}

let nextId = 0;

export function usePublishHistory(): PublishHistory {
  const [entries, setEntries] = useState<HistoryEntry[]>(() => loadHistory());

  // Written after commit rather than inside the updaters: StrictMode runs updaters twice.
  useEffect(() => saveHistory(entries), [entries]);

  const record = useCallback((channel: string, payload: string) => {
    const id = `${Date.now().toString(36)}-${(nextId++).toString(36)}`;
    const entry: HistoryEntry = { id, channel, payload, sentAtMs: Date.now() };
    setEntries((current) => prependEntry(current, entry));
    return id;
  }, []);

  const settle = useCallback((id: string, outcome: SendOutcome) => {
    setEntries((current) => current.map((entry) => (entry.id === id ? { ...entry, outcome } : entry)));
  }, []);

  const clear = useCallback(() => setEntries([]), []);

  return { entries, record, settle, clear };
}
