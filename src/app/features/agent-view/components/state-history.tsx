/** An agent's state changes over the last day, newest first, each with how long it lasted. */
import { formatClock, formatDateTime } from '../../../lib/time-format';
import { EmptyState } from '../../../components/panel';
import { formatDuration, type StateSpan } from '../utils/state-changes';

/** Rows shown before "Show all": a flapping agent can change state hundreds of times a day. */
const SHOWN_SPANS = 20;

export function StateHistory({
  spans,
  nowMs,
  connected,
  showAll,
}: {
  spans: readonly StateSpan[];
  nowMs: number;
  connected: boolean;
  showAll: boolean;
}) {
  if (spans.length === 0) return <EmptyState>No state change in the last 24 hours.</EmptyState>;
  const shown = showAll ? spans : spans.slice(0, SHOWN_SPANS);
  return (
    <ol className="agent-states" aria-label="State changes">
      {shown.map((span) => (
        <li key={`${span.sinceMs}-${span.state}`}>
          <time className="mono" title={formatDateTime(span.sinceMs)}>
            {formatClock(span.sinceMs)}
          </time>{' '}
          <strong>{span.state}</strong>{' '}
          <span className="muted">
            {span.untilMs !== undefined
              ? `for ${formatDuration(span.untilMs - span.sinceMs)}`
              : connected
                ? `for ${formatDuration(nowMs - span.sinceMs)} so far`
                : 'last known'}
          </span>
        </li>
      ))}
    </ol>
  );
}

export const STATE_SPANS_SHOWN = SHOWN_SPANS;
