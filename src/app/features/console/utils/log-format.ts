/** Formatting of message-log rows; kept pure so rows stay cheap and testable. */
import type { LogEntry } from '../../../store/message-log-store';

/** Longest data preview shown in a row; the full payload is in the row's title. */
export const PREVIEW_MAX_CHARS = 200;

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
    text = truncate(stringify(entry), PREVIEW_MAX_CHARS);
    previews.set(entry, text);
  }
  return text;
}

function stringify(entry: LogEntry): string {
  // Gap entries carry a human sentence, not a payload.
  if (entry.type === 'gap' && typeof entry.data === 'string') return entry.data;
  try {
    return JSON.stringify(entry.data) ?? String(entry.data);
  } catch {
    return String(entry.data);
  }
}

function truncate(text: string, maxChars: number): string {
  return text.length > maxChars ? `${text.slice(0, maxChars - 1)}…` : text;
}

/** The distinct channels of the log, sorted so selectors can compare results shallowly. */
export function logChannels(entries: readonly LogEntry[]): string[] {
  const seen = new Set<string>();
  for (const entry of entries) seen.add(entry.channel);
  return [...seen].sort();
}
