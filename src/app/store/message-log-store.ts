/** Message log slice: the newest `MAX_LOG_ENTRIES` frames received, appended in batches. */
import { createStore } from 'zustand/vanilla';
import type { LogEntry } from '../worker';

export type { LogEntry } from '../worker';

export const MAX_LOG_ENTRIES = 5000;

export interface MessageLogSlice {
  entries: LogEntry[];
  paused: boolean;
  /** Entries that arrived while paused and were not shown. */
  missedWhilePaused: number;
}

export const messageLogStore = createStore<MessageLogSlice>(() => ({
  entries: [],
  paused: false,
  missedWhilePaused: 0,
}));

/** Appends a batch, keeping the newest MAX_LOG_ENTRIES. */
export function appendEntries(batch: readonly LogEntry[]): void {
  if (batch.length === 0) return;
  messageLogStore.setState((state) => {
    if (state.paused) return { missedWhilePaused: state.missedWhilePaused + batch.length };
    const merged =
      state.entries.length + batch.length > MAX_LOG_ENTRIES
        ? [...state.entries, ...batch].slice(-MAX_LOG_ENTRIES)
        : [...state.entries, ...batch];
    return { entries: merged };
  });
}
