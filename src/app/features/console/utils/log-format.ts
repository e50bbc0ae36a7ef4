/** Formatting of message-log rows; kept pure so rows stay cheap and testable. */
import { previewText } from '../../../lib/log-preview';
import type { LogEntry } from '../../../store/message-log-store';

export { PREVIEW_MAX_CHARS } from '../../../lib/log-preview';
export { formatClock } from '../../../lib/time-format';

// Serialising a payload is the costly part of a row; scrolling back and forth over the same
// entries must not redo it. Entries are immutable, so a WeakMap keyed by entry is safe and
// forgets entries once the capped log drops them.
const previews = new WeakMap<LogEntry, string>();

/** One-line JSON of an entry's data, truncated; computed on first display only. */
export function previewOf(entry: LogEntry): string {
  if (entry.preview !== undefined) return entry.preview;
  let text = previews.get(entry);
  if (text === undefined) {
    text = previewText(entry.type, entry.data);
    previews.set(entry, text);
  }
  return text;
}

/** The distinct channels of the log, sorted so selectors can compare results shallowly. */
export function logChannels(entries: readonly LogEntry[]): string[] {
  const seen = new Set<string>();
  for (const entry of entries) seen.add(entry.channel);
  return [...seen].sort();
}
