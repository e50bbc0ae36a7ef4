/**
 * The region "Agent <id>" that `/agents/<id>` opens: the agent's state now and since when (never
 * shown as live while the page is disconnected), its state changes of the last day, a chart of
 * every metric it reports over the chosen range, its tasks with their timelines, and — for
 * operators and admins — "Run task".
 *
 * The charts and the timelines are the page's own (the telemetry and task-timeline features):
 * the view is handed them as `renderCharts` and `renderTimeline`, so features stay apart.
 */
import { useCallback, useMemo, useState, type ReactNode } from 'react';
import { useStore } from 'zustand';
import { EmptyState, Panel } from '../../../components/panel';
import { LoadError } from '../../../components/load-error';
import { RelativeTime, useNow } from '../../../components/relative-time';
import { RouteLink } from '../../../components/route-link';
import { useConnection, useTelemetry } from '../../../hooks/use-stores';
import { loadErrorText } from '../../../lib/load-error-text';
import { chartableMetrics } from '../../../lib/metric-selection';
import { canOperate } from '../../../lib/roles';
import { formatClock, formatDateTime } from '../../../lib/time-format';
import { HOME_ROUTE } from '../../../lib/view-route';
import { agentStatesStore } from '../../../store/agent-states-store';
import { useAgent, type AgentDetail } from '../api/get-agent';
import { currentState, formatDuration, stateSpans } from '../utils/state-changes';
import { AgentTasks } from './agent-tasks';
import { RunTaskForm } from './run-task-form';
import { STATE_SPANS_SHOWN, StateHistory } from './state-history';
import './agent-view.css';

export interface AgentViewProps {
  readonly agentId: string;
  /** Charts of the given metrics of this agent over the page's range. */
  readonly renderCharts: (agentId: string, metrics: readonly string[]) => ReactNode;
  /** One task's timeline. */
  readonly renderTimeline: (taskId: string) => ReactNode;
}

export function AgentView({ agentId, renderCharts, renderTimeline }: AgentViewProps) {
  const { data, error, isPending, refetch } = useAgent(agentId);
  const role = useConnection((s) => s.role);
  const [openTaskIds, setOpenTaskIds] = useState<ReadonlySet<string>>(() => new Set());
  const toggle = useCallback(
    (taskId: string) =>
      setOpenTaskIds((open) => {
        const next = new Set(open);
        if (!next.delete(taskId)) next.add(taskId);
        return next;
      }),
    [],
  );
  const openOne = useCallback((taskId: string) => setOpenTaskIds((open) => new Set(open).add(taskId)), []);
  const metrics = useAgentMetrics(agentId, data);
  const unknown = !isPending && !error && data === null;
  return (
    <Panel
      title={
        <>
          Agent <span className="mono">{agentId}</span>
        </>
      }
      label={`Agent ${agentId}`}
      id="agent-view"
      actions={
        <RouteLink route={HOME_ROUTE} className="btn small">
          Close
        </RouteLink>
      }
    >
      <div className="panel-body agent-view">
        {error && <LoadError what="the agent" message={loadErrorText(error)} onRetry={() => void refetch()} />}
        {unknown && <EmptyState>The server knows no agent {agentId}.</EmptyState>}
        <AgentState agentId={agentId} detail={data ?? undefined} />
        <div className="agent-section">
          <h3>Metrics</h3>
          {metrics.length > 0 ? (
            renderCharts(agentId, metrics)
          ) : (
            <EmptyState>{isPending ? 'Loading…' : 'No metric reported by this agent.'}</EmptyState>
          )}
        </div>
        <div className="agent-section">
          <h3>Tasks</h3>
          {canOperate(role) && <RunTaskForm agentId={agentId} onSent={openOne} />}
          <AgentTasks agentId={agentId} openTaskIds={openTaskIds} onToggle={toggle} renderTimeline={renderTimeline} />
        </div>
      </div>
    </Panel>
  );
}

/** Every metric the agent reports: what the server holds, and what this page heard from it. */
function useAgentMetrics(agentId: string, detail: AgentDetail | null | undefined): string[] {
  // One string, so the view renders again only when the set of metrics changes, not every second.
  const heard = useTelemetry((s) => Object.keys(s.summaries.get(agentId)?.latest ?? {}).join('\n'));
  return useMemo(() => {
    const names = new Set(detail ? detail.latest.keys() : []);
    for (const name of heard.split('\n')) if (name !== '') names.add(name);
    return chartableMetrics([...names]);
  }, [detail, heard]);
}

function AgentState({ agentId, detail }: { agentId: string; detail: AgentDetail | undefined }) {
  const heard = useStore(agentStatesStore, (s) => s.byId.get(agentId));
  const { open, redis } = useConnection((s) => ({ open: s.state === 'open', redis: s.redis }));
  const connected = open && redis === undefined;
  const nowMs = useNow();
  const [showAll, setShowAll] = useState(false);
  const now = currentState(detail, heard);
  const spans = useMemo(() => stateSpans(detail?.states ?? [], heard), [detail, heard]);
  const state = connected ? (now?.state ?? 'unknown') : 'unknown';
  return (
    <div className="agent-section">
      <p className="agent-state-now">
        <span className="status-dot" data-state={DOT_STATE[state]} aria-hidden="true" />{' '}
        <strong data-agent-state={state}>{state}</strong>
        {connected && now?.sinceMs !== undefined && (
          <span className="muted" title={formatDateTime(now.sinceMs)}>
            {' '}
            since {formatClock(now.sinceMs)} ({formatDuration(nowMs - now.sinceMs)})
          </span>
        )}
        {!connected && <span className="muted"> while the page is disconnected</span>}
        {detail?.lastSeenMs !== undefined && (
          <span className="muted">
            {' '}
            · seen <RelativeTime timeMs={detail.lastSeenMs} nowMs={nowMs} />
          </span>
        )}
      </p>
      <h3>State changes</h3>
      <StateHistory spans={spans} nowMs={nowMs} connected={connected} showAll={showAll} />
      {spans.length > STATE_SPANS_SHOWN && (
        <button type="button" className="btn small" onClick={() => setShowAll(!showAll)}>
          {showAll ? 'Show fewer' : `Show all ${spans.length}`}
        </button>
      )}
    </div>
  );
}

const DOT_STATE = { online: 'open', silent: 'reconnecting', offline: 'closed', unknown: 'unknown' } as const;
