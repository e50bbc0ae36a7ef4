/**
 * The "Agents" panel: every agent's id, online state (as text, not colour only),
 * last seen and a few latest values. An agent appears with its first telemetry message.
 */
import { memo, type CSSProperties } from 'react';
import { EmptyState, Panel } from '../../../components/panel';
import { RelativeTime } from '../../../components/relative-time';
import { useAgentRows } from '../hooks/use-agent-rows';
import { compactMetrics, type AgentRow } from '../utils/merge-agents';
import { LoadError } from '../../../components/load-error';

/** Scrolls inside the panel so a fleet of hundreds never stretches the page. */
const listStyle: CSSProperties = { maxHeight: 300, overflow: 'auto', listStyle: 'none', margin: 0, padding: 0 };
const rowStyle: CSSProperties = {
  display: 'flex',
  flexWrap: 'wrap',
  alignItems: 'baseline',
  gap: '4px 10px',
  padding: '6px 0',
  borderBottom: '1px solid var(--border)',
};
const valuesStyle: CSSProperties = { flexBasis: '100%', fontVariantNumeric: 'tabular-nums' };

export function AgentsPanel() {
  const { rows, nowMs, query, connected } = useAgentRows();
  const online = rows.filter((row) => row.online).length;
  const actions = !connected ? (
    <span className="muted">unknown while disconnected</span>
  ) : rows.length > 0 ? (
    <span className="muted">
      {online} of {rows.length} online
    </span>
  ) : undefined;
  return (
    <Panel title="Agents" label="Agents" id="agents" actions={actions}>
      <div className="panel-body">
        {query.error && <LoadError what="agents" message={query.error.message} onRetry={() => void query.refetch()} />}
        {rows.length > 0 ? (
          <ul aria-label="Agent list" tabIndex={0} style={listStyle}>
            {rows.map((row) => (
              <AgentItem key={row.agentId} row={row} nowMs={nowMs} connected={connected} />
            ))}
          </ul>
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

const AgentItem = memo(function AgentItem({
  row,
  nowMs,
  connected,
}: {
  row: AgentRow;
  nowMs: number;
  connected: boolean;
}) {
  const state = row.online ? 'online' : connected ? 'offline' : 'unknown';
  return (
    <li style={rowStyle}>
      <strong className="mono">{row.agentId}</strong>
      <span>
        <span
          className="status-dot"
          data-state={row.online ? 'open' : connected ? 'closed' : 'unknown'}
          aria-hidden="true"
        />{' '}
        {state}
      </span>
      <span className="muted">
        {row.lastSeenMs === undefined ? (
          'never seen'
        ) : (
          <>
            seen <RelativeTime timeMs={row.lastSeenMs} nowMs={nowMs} />
          </>
        )}
      </span>
      <MetricValues latest={row.latest} />
    </li>
  );
});

const number = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
const UNITS: Readonly<Record<string, string>> = { cpu_usage: '%', memory_mb: ' MB', temperature_c: ' °C' };
const LABELS: Readonly<Record<string, string>> = { cpu_usage: 'cpu', memory_mb: 'mem', temperature_c: 'temp' };

function MetricValues({ latest }: { latest: Readonly<Record<string, number>> }) {
  const metrics = compactMetrics(latest);
  if (metrics.length === 0) return null;
  return (
    <span className="muted mono" style={valuesStyle}>
      {metrics
        .map(([metric, value]) => `${LABELS[metric] ?? metric} ${number.format(value)}${UNITS[metric] ?? ''}`)
        .join(' · ')}
    </span>
  );
}
