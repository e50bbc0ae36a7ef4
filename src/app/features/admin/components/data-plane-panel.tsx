/**
 * The "Data plane" region (role admin only): every open connection of the deployment (a
 * virtualized table, sortable by buffered bytes, rate and drops, filterable by user and channel,
 * a "Close" button with confirmation per row) and every channel, refreshed every second.
 * Connections near the slow-consumer limit stand out.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useRef, useState } from 'react';
import type { AdminChannel } from '@nexus-realtime/client/protocol';
import { EmptyState, Panel } from '../../../components/panel';
import { LoadError } from '../../../components/load-error';
import { useConnection } from '../../../hooks/use-stores';
import { useAdminChannels, useAdminConnections, useCloseConnection } from '../api/admin-api';
import { useConnectionRows } from '../hooks/use-connection-rows';
import { formatBytes, processLabel, type ConnectionRow, type SortKey } from '../utils/connection-rows';
import './data-plane.css';

const ROW_HEIGHT_PX = 32;
const VIEWPORT_HEIGHT_PX = 10 * ROW_HEIGHT_PX;

const SORTS: readonly { key: SortKey; label: string }[] = [
  { key: 'bufferedBytes', label: 'Buffered' },
  { key: 'rate', label: 'Rate' },
  { key: 'dropped', label: 'Drops' },
];

export function DataPlanePanel() {
  const role = useConnection((s) => s.role);
  if (role !== 'admin') return null;
  return <DataPlane />;
}

function DataPlane() {
  const [userId, setUserId] = useState('');
  const [channel, setChannel] = useState('');
  const [sort, setSort] = useState<SortKey>('bufferedBytes');
  const connections = useAdminConnections({ userId, channel }, true);
  const channels = useAdminChannels(true);
  const rows = useConnectionRows(connections.data, connections.dataUpdatedAt, sort);
  const slow = rows.filter((r) => r.slow).length;
  return (
    <Panel
      title="Data plane"
      label="Data plane"
      id="data-plane"
      actions={
        <span className="muted">
          {rows.length} connections{slow > 0 ? `, ${slow} slow` : ''}
        </span>
      }
    >
      <div className="panel-body dp">
        <div className="dp-filters">
          <label>
            User <input value={userId} onChange={(e) => setUserId(e.target.value)} aria-label="Filter by user" />
          </label>
          <label>
            Channel{' '}
            <input value={channel} onChange={(e) => setChannel(e.target.value)} aria-label="Filter by channel" />
          </label>
          <span className="dp-sort" role="group" aria-label="Sort connections">
            Sort by{' '}
            {SORTS.map((s) => (
              <button
                key={s.key}
                type="button"
                className={`btn small${sort === s.key ? ' primary' : ''}`}
                aria-pressed={sort === s.key}
                onClick={() => setSort(s.key)}
              >
                {s.label}
              </button>
            ))}
          </span>
        </div>
        {(connections.data?.missing.length ?? 0) > 0 && (
          <p role="alert" className="error-text">
            Not answering (their connections are not listed): {connections.data?.missing.join(', ')}
          </p>
        )}
        {connections.data?.more && (
          <p role="note" className="dp-note">
            Showing the first {connections.data.connections.length.toLocaleString('en-US')} connections; filter by user
            or channel to see the others.
          </p>
        )}
        {connections.error && (
          <LoadError
            what="connections"
            message={connections.error.message}
            onRetry={() => void connections.refetch()}
          />
        )}
        <ConnectionsTable rows={rows} sort={sort} />
        {channels.error && (
          <LoadError what="channels" message={channels.error.message} onRetry={() => void channels.refetch()} />
        )}
        <ChannelsTable channels={channels.data ?? []} />
      </div>
    </Panel>
  );
}

function ConnectionsTable({ rows, sort }: { rows: readonly ConnectionRow[]; sort: SortKey }) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT_PX,
    overscan: 8,
    getItemKey: (index) => rows[index]?.connectionId ?? index,
  });
  const close = useCloseConnection();
  const onClose = (row: ConnectionRow) => {
    if (window.confirm(`Close the connection of ${row.userId} (${row.connectionId})?`)) close.mutate(row.connectionId);
  };
  const sortOf = (key: SortKey) => (sort === key ? 'descending' : 'none');
  return (
    <div role="table" aria-label="Connections" aria-rowcount={rows.length + 1} className="dp-table">
      <div role="rowgroup">
        <div role="row" className="dp-row dp-head" aria-rowindex={1}>
          <span role="columnheader">User</span>
          <span role="columnheader">Role</span>
          <span role="columnheader">Process</span>
          <span role="columnheader">Subscriptions</span>
          <span role="columnheader" aria-sort={sortOf('rate')} className="num">
            Rate/s
          </span>
          <span role="columnheader" aria-sort={sortOf('bufferedBytes')} className="num">
            Buffered
          </span>
          <span role="columnheader" aria-sort={sortOf('dropped')} className="num">
            Drops
          </span>
          <span role="columnheader" className="num">
            RTT
          </span>
          <span role="columnheader">Action</span>
        </div>
      </div>
      <div ref={scrollRef} className="dp-viewport" style={{ maxHeight: VIEWPORT_HEIGHT_PX }} tabIndex={0}>
        {rows.length === 0 ? (
          <EmptyState>No open connections match.</EmptyState>
        ) : (
          <div role="rowgroup" style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
            {virtualizer.getVirtualItems().map((item) => {
              const row = rows[item.index];
              return row ? (
                <ConnectionLine key={item.key} row={row} index={item.index} startPx={item.start} onClose={onClose} />
              ) : null;
            })}
          </div>
        )}
      </div>
      {close.error && <p role="alert">Close failed: {close.error.message}</p>}
    </div>
  );
}

const ConnectionLine = memo(function ConnectionLine({
  row,
  index,
  startPx,
  onClose,
}: {
  row: ConnectionRow;
  index: number;
  startPx: number;
  onClose: (row: ConnectionRow) => void;
}) {
  const subscriptions = row.subscriptions
    .map((s) => (s.filters ? `${s.channel} ${JSON.stringify(s.filters)}` : s.channel))
    .join(', ');
  return (
    <div
      role="row"
      aria-rowindex={index + 2}
      className={`dp-row${row.slow ? ' dp-slow' : ''}`}
      style={{
        position: 'absolute',
        top: 0,
        left: 0,
        right: 0,
        height: ROW_HEIGHT_PX,
        transform: `translateY(${startPx}px)`,
      }}
    >
      <span role="cell" title={row.connectionId}>
        {row.userId}
      </span>
      <span role="cell">{row.role}</span>
      <span role="cell" title={row.process}>
        {processLabel(row)}
      </span>
      <span role="cell" title={subscriptions}>
        {subscriptions || '—'}
      </span>
      <span role="cell" className="num">
        {row.rate}
      </span>
      <span role="cell" className="num">
        {formatBytes(row.bufferedBytes)}
        {row.slow && <strong className="dp-slow-tag"> slow</strong>}
      </span>
      <span role="cell" className="num">
        {row.dropped}
      </span>
      <span role="cell" className="num">
        {row.rttMs === undefined ? '—' : `${row.rttMs} ms`}
      </span>
      <span role="cell">
        <button type="button" className="btn small" onClick={() => onClose(row)} aria-label={`Close ${row.userId}`}>
          Close
        </button>
      </span>
    </div>
  );
});

function ChannelsTable({ channels }: { channels: readonly AdminChannel[] }) {
  return (
    <div className="dp-channels">
      <table aria-label="Channels">
        <thead>
          <tr>
            <th scope="col">Channel</th>
            <th scope="col" className="num">
              Subscribers
            </th>
            <th scope="col" className="num">
              Messages/s
            </th>
            <th scope="col" className="num">
              Seq
            </th>
            <th scope="col" className="num">
              History
            </th>
          </tr>
        </thead>
        <tbody>
          {channels.map((c) => (
            <tr key={c.channel}>
              <td>{c.channel}</td>
              <td className="num">{c.subscribers}</td>
              <td className="num">{c.messagesPerSecond}</td>
              <td className="num" title={`epoch ${c.epoch}`}>
                {c.seq}
              </td>
              <td className="num">
                {c.historyMessages} ({formatBytes(c.historyBytes)})
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
