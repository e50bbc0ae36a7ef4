/**
 * The virtualized body of the message log. Following the newest entry is the virtualizer's own
 * end-anchored mode (https://tanstack.com/virtual/latest/docs/chat): new rows scroll into view
 * only while the view is at the bottom; once the person scrolls up, the row they are reading
 * stays put — also when the capped log drops old rows from the front, which at a few hundred
 * messages a second would otherwise slide the view away under them.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { useLayoutEffect, useRef, useState } from 'react';
import type { LogEntry } from '../../../store/message-log-store';
import { formatClock, previewOf } from '../utils/log-format';

/** Fixed row height: no measuring, so scrolling never forces a layout read per row. */
export const LOG_ROW_HEIGHT_PX = 28;
/**
 * Whole rows only: the view is anchored at its newest row, so a height that is not a multiple
 * of the row height would always show the top row half cut off.
 */
export const LOG_VISIBLE_ROWS = 11;
const VIEWPORT_HEIGHT_PX = LOG_VISIBLE_ROWS * LOG_ROW_HEIGHT_PX;
/** Rows rendered beyond the visible ones, so fast scrolling does not flash blanks. */
const OVERSCAN_ROWS = 8;
/** "At the bottom" within half a row: zoomed pages report fractional scroll positions. */
const AT_END_SLACK_PX = LOG_ROW_HEIGHT_PX / 2;

export function LogViewport({ rows }: { rows: readonly LogEntry[] }) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => LOG_ROW_HEIGHT_PX,
    overscan: OVERSCAN_ROWS,
    getItemKey: (index) => rows[index]?.id ?? index,
    anchorTo: 'end',
    followOnAppend: true,
    scrollEndThreshold: AT_END_SLACK_PX,
  });
  // A log opens on its newest entry.
  useLayoutEffect(() => virtualizer.scrollToEnd(), [virtualizer]);
  // Whether we follow changes only when the view scrolls. Asking the DOM during render instead
  // reads a layout that is one append behind and flashes "Jump to newest" for a frame.
  const [following, setFollowing] = useState(true);
  const onScroll = () => {
    const el = scrollRef.current;
    if (el) setFollowing(el.scrollHeight - el.scrollTop - el.clientHeight <= AT_END_SLACK_PX);
  };
  return (
    <>
      <div className="log-head" aria-hidden="true">
        <span>time</span>
        <span>type</span>
        <span>channel</span>
        <span>from</span>
        <span className="log-num">seq</span>
        <span>data</span>
      </div>
      <div className="log-frame">
        <div
          ref={scrollRef}
          className="log-viewport"
          style={{ height: VIEWPORT_HEIGHT_PX }}
          onScroll={onScroll}
          tabIndex={0}
          aria-label="Received messages"
        >
          <div role="list" style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
            {virtualizer.getVirtualItems().map((item) => {
              const entry = rows[item.index];
              return entry ? <LogRow key={item.key} entry={entry} startPx={item.start} /> : null;
            })}
          </div>
        </div>
        {/* Floats over the rows, so showing it never shifts the layout under the reader. */}
        {!following && (
          <button type="button" className="btn small primary log-jump" onClick={() => virtualizer.scrollToEnd()}>
            Jump to newest
          </button>
        )}
      </div>
    </>
  );
}

function LogRow({ entry, startPx }: { entry: LogEntry; startPx: number }) {
  const preview = previewOf(entry);
  return (
    <div
      role="listitem"
      className="log-row"
      data-type={entry.type}
      style={{ height: LOG_ROW_HEIGHT_PX, transform: `translateY(${startPx}px)` }}
    >
      <span className="mono">{formatClock(entry.receivedAt)}</span>
      <span>{entry.type}</span>
      <span title={entry.channel}>{entry.channel}</span>
      <span title={entry.from}>{entry.from ?? '—'}</span>
      <span className="log-num mono">{entry.seq ?? ''}</span>
      <span className="mono" title={preview}>
        {preview}
      </span>
    </div>
  );
}
