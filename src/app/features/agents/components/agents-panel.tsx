/**
 * The "Agents" panel: every agent's id (a link to its view), state — online, silent or offline,
 * as text, not colour only — and since when, last seen and a few latest values, with a filter
 * box. An agent appears with its first telemetry message or state change.
 * The list is virtualized with rows of one fixed height: a fleet of hundreds refreshes its
 * "seen" times every second, and only the rows in view exist to be updated and laid out.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useMemo, useRef, useState, type CSSProperties } from 'react';
import { EmptyState, Panel } from '../../../components/panel';
import { RelativeTime } from '../../../components/relative-time';
import { useAgentRows } from '../hooks/use-agent-rows';
import { compactMetrics, type AgentRow } from '../utils/merge-agents';
import { LoadError } from '../../../components/load-error';
import { loadErrorText } from '../../../lib/load-error-text';
import { AGENTS_PAGE_SIZE, mayHaveMore } from '../../../lib/agents-query';
import { RouteLink } from '../../../components/route-link';
import { formatClock, formatDateTime } from '../../../lib/time-format';
import { filterAgents } from '../utils/filter-agents';

/** Two lines of text and the padding: every row has this height, so none is measured. */
export const AGENT_ROW_HEIGHT_PX = 46;
/** The list scrolls inside the panel past this height, so a fleet never stretches the page. */
const MAX_LIST_HEIGHT_PX = 300;
const OVERSCAN_ROWS = 4;
const scrollStyle: CSSProperties = { overflow: 'auto' };
const listStyle: CSSProperties = { listStyle: 'none', margin: 0, padding: 0, position: 'relative' };
const rowStyle: CSSProperties = {
  position: 'absolute',
  top: 0,
  left: 0,
  right: 0,
  height: AGENT_ROW_HEIGHT_PX,
  boxSizing: 'border-box',
  display: 'flex',
  flexWrap: 'wrap',
  alignContent: 'center',
  alignItems: 'baseline',
  gap: '2px 10px',
  overflow: 'hidden',
  whiteSpace: 'nowrap',
  borderBottom: '1px solid var(--border)',
};
const filterStyle: CSSProperties = { width: '100%', boxSizing: 'border-box', marginBottom: 8 };
const valuesStyle: CSSProperties = {
  flexBasis: '100%',
  fontVariantNumeric: 'tabular-nums',
  overflow: 'hidden',
  textOverflow: 'ellipsis',
};

export function AgentsPanel() {
  const [offset, setOffset] = useState(0);
  const [filter, setFilter] = useState('');
  const { rows, nowMs, query, connected, unknownWhy } = useAgentRows(offset);
  const shown = useMemo(() => filterAgents(rows, filter), [rows, filter]);
  const online = rows.filter((row) => row.online).length;
  const paged = offset > 0 || mayHaveMore(query.data);
  const pager = paged && (
    <>
      <button className="btn small" disabled={offset === 0} onClick={() => setOffset(offset - AGENTS_PAGE_SIZE)}>
        Previous
      </button>
      <button
        className="btn small"
        disabled={!mayHaveMore(query.data)}
        onClick={() => setOffset(offset + AGENTS_PAGE_SIZE)}
      >
        Next
      </button>
    </>
  );
  const actions = !connected ? (
    <span className="muted">unknown while {unknownWhy ?? 'disconnected'}</span>
  ) : rows.length > 0 ? (
    <>
      <span className="muted">
        {online} of {rows.length} online{paged ? ` (agents ${offset + 1}–${offset + (query.data?.length ?? 0)})` : ''}
        {shown.length !== rows.length ? ` · ${shown.length} shown` : ''}
      </span>
      {pager}
    </>
  ) : undefined;
  return (
    <Panel title="Agents" label="Agents" id="agents" actions={actions}>
      <div className="panel-body">
        {query.error && (
          <LoadError what="agents" message={loadErrorText(query.error)} onRetry={() => void query.refetch()} />
        )}
        {rows.length > 0 && (
          <input
            type="text"
            style={filterStyle}
            aria-label="Filter agents"
            placeholder="Filter by id or state (online, silent, offline)"
            value={filter}
            onChange={(event) => setFilter(event.target.value)}
            spellCheck={false}
            autoComplete="off"
          />
        )}
        {shown.length > 0 ? (
          <AgentList rows={shown} nowMs={nowMs} connected={connected} />
        ) : rows.length > 0 ? (
          <EmptyState>No agent matches “{filter.trim()}”.</EmptyState>
        ) : (
          !query.error && (
            <EmptyState>
              {query.isPending ? 'Loading agents…' : 'No agents yet. They appear with their first telemetry message.'}
            </EmptyState>
          )
        )}
      </div>
    </Panel>
  );
}

function AgentList({ rows, nowMs, connected }: { rows: readonly AgentRow[]; nowMs: number; connected: boolean }) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => AGENT_ROW_HEIGHT_PX,
    overscan: OVERSCAN_ROWS,
    getItemKey: (index) => rows[index]?.agentId ?? index,
    // The view is never taller than MAX_LIST_HEIGHT_PX: rows for that much are enough, nothing to observe.
    observeElementRect: (_instance, report) => report({ width: 0, height: MAX_LIST_HEIGHT_PX }),
  });
  return (
    <div
      ref={scrollRef}
      tabIndex={0}
      style={{ ...scrollStyle, height: Math.min(MAX_LIST_HEIGHT_PX, virtualizer.getTotalSize()) }}
    >
      <ul aria-label="Agent list" style={{ ...listStyle, height: virtualizer.getTotalSize() }}>
        {virtualizer.getVirtualItems().map((item) => {
          const row = rows[item.index];
          return row ? (
            <AgentItem
              key={item.key}
              row={row}
              nowMs={nowMs}
              connected={connected}
              startPx={item.start}
              position={item.index + 1}
              total={rows.length}
            />
          ) : null;
        })}
      </ul>
    </div>
  );
}

const AgentItem = memo(function AgentItem({
  row,
  nowMs,
  connected,
  startPx,
  position,
  total,
}: {
  row: AgentRow;
  nowMs: number;
  connected: boolean;
  startPx: number;
  /** Place in the whole list (1-based) and its length: only some rows exist, screen readers still hear the count. */
  position: number;
  total: number;
}) {
  const state = connected ? (row.state ?? 'offline') : 'unknown';
  return (
    <li style={{ ...rowStyle, transform: `translateY(${startPx}px)` }} aria-posinset={position} aria-setsize={total}>
      {/* Spaces between the parts: the row reads (and is read aloud) as words, not "onlinesince". */}
      <RouteLink route={{ kind: 'agent', agentId: row.agentId }}>
        <strong className="mono">{row.agentId}</strong>
      </RouteLink>{' '}
      <span data-agent-state={state}>
        <span className="status-dot" data-state={DOT_STATE[state]} aria-hidden="true" /> {state}
      </span>{' '}
      {row.sinceMs !== undefined && (
        <>
          <span className="muted" title={formatDateTime(row.sinceMs)}>
            since {formatClock(row.sinceMs)}
          </span>{' '}
        </>
      )}
      <span className="muted">
        {row.lastSeenMs === undefined ? (
          'never seen'
        ) : (
          <>
            seen <RelativeTime timeMs={row.lastSeenMs} nowMs={nowMs} />
          </>
        )}
      </span>{' '}
      <MetricValues latest={row.latest} />
    </li>
  );
});

/** The dot beside a state uses the connection's colours: good, waiting, gone, not known. */
const DOT_STATE = { online: 'open', silent: 'reconnecting', offline: 'closed', unknown: 'unknown' } as const;

const plain = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
/** Values an agent sent beyond everyday sizes read as 1.8E308, not as a 300-digit number. */
const scientific = new Intl.NumberFormat(undefined, { notation: 'scientific', maximumFractionDigits: 1 });
const formatNumber = (value: number) => (Math.abs(value) >= 1e15 ? scientific : plain).format(value);
const UNITS: Readonly<Record<string, string>> = { cpu_usage: '%', memory_mb: ' MB', temperature_c: ' °C' };
const LABELS: Readonly<Record<string, string>> = { cpu_usage: 'cpu', memory_mb: 'mem', temperature_c: 'temp' };

function MetricValues({ latest }: { latest: Readonly<Record<string, number>> }) {
  const metrics = compactMetrics(latest);
  if (metrics.length === 0) return null;
  return (
    <span className="muted mono" style={valuesStyle}>
      {metrics
        .map(([metric, value]) => `${LABELS[metric] ?? metric} ${formatNumber(value)}${UNITS[metric] ?? ''}`)
        .join(' · ')}
    </span>
  );
}
