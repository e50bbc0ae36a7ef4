/** The sent messages of this console, newest first; picking one puts it back into the form. */
import { useId } from 'react';
import { RelativeTime, relativeTime, useNow } from '../../../components/relative-time';
import type { HistoryEntry } from '../utils/history';
import { PREVIEW_MAX_CHARS } from '../utils/log-format';
import { describeOutcome } from '../utils/payload';

/** How often "5 seconds ago" is refreshed. */
const CLOCK_TICK_MS = 5000;

interface Props {
  readonly entries: readonly HistoryEntry[];
  onPick(entry: HistoryEntry): void;
  onClear(): void;
}

export function PublishHistoryList({ entries, onPick, onClear }: Props) {
  const nowMs = useNow(CLOCK_TICK_MS);
  return (
    <div className="panel-body console-history">
      <div className="console-row">
        <h3 className="console-subheading">
          History <span className="muted">({entries.length})</span>
        </h3>
        <button type="button" className="btn small" disabled={entries.length === 0} onClick={onClear}>
          Clear history
        </button>
      </div>
      {entries.length === 0 ? (
        <p className="muted">Messages you send appear here.</p>
      ) : (
        <ul className="console-history-list" aria-label="Sent messages">
          {entries.map((entry) => (
            <HistoryItem key={entry.id} entry={entry} nowMs={nowMs} onPick={onPick} />
          ))}
        </ul>
      )}
    </div>
  );
}

function HistoryItem({
  entry,
  nowMs,
  onPick,
}: {
  entry: HistoryEntry;
  nowMs: number;
  onPick(entry: HistoryEntry): void;
}) {
  const payloadId = useId();
  const outcome = describeOutcome(entry.outcome);
  // A short name, the payload as description: a name holding the payload would also match
  // searches for the template buttons ("execute_task") by people and tests alike.
  const name = `Reuse ${entry.channel} message sent ${relativeTime(entry.sentAtMs, nowMs)}, ${outcome}`;
  return (
    <li>
      <button
        type="button"
        className="console-history-item"
        onClick={() => onPick(entry)}
        aria-label={name}
        aria-describedby={payloadId}
      >
        <span className="console-history-meta" aria-hidden="true">
          <strong>{entry.channel}</strong>
          <RelativeTime timeMs={entry.sentAtMs} nowMs={nowMs} />
          <span className={entry.outcome?.ok === false ? 'error-text mono' : 'muted mono'}>{outcome}</span>
        </span>
        <span id={payloadId} className="mono console-ellipsis">
          {entry.payload.slice(0, PREVIEW_MAX_CHARS)}
        </span>
      </button>
    </li>
  );
}
