/**
 * The view the address names (lib/view-route.ts), above the dashboard: an agent's view, a task's
 * timeline, or the audit log. This is where the features meet: the agent's view is handed the
 * telemetry feature's charts and the task-timeline feature's timelines, so no feature imports
 * another. Each view's code is a chunk of its own, fetched when it is first opened.
 */
import { lazy, Suspense, useEffect, useRef, type ReactNode } from 'react';
import { EmptyState, Panel } from './components/panel';
import { useConnection } from './hooks/use-stores';
import { useRoute } from './hooks/use-route';
import { canOperate } from './lib/roles';
import { routePath } from './lib/view-route';

const AgentView = lazy(() =>
  import('./features/agent-view/components/agent-view').then((m) => ({ default: m.AgentView })),
);
const AgentMetricCharts = lazy(() =>
  import('./features/telemetry/components/agent-metric-charts').then((m) => ({ default: m.AgentMetricCharts })),
);
const TaskTimeline = lazy(() =>
  import('./features/task-timeline/components/task-timeline').then((m) => ({ default: m.TaskTimeline })),
);
const TaskView = lazy(() =>
  import('./features/task-timeline/components/task-view').then((m) => ({ default: m.TaskView })),
);
const AuditPanel = lazy(() =>
  import('./features/audit/components/audit-panel').then((m) => ({ default: m.AuditPanel })),
);

const renderCharts = (agentId: string, metrics: readonly string[]): ReactNode => (
  <Suspense fallback={<EmptyState>Loading charts…</EmptyState>}>
    <AgentMetricCharts agentId={agentId} metrics={metrics} />
  </Suspense>
);

const renderTimeline = (taskId: string): ReactNode => (
  <Suspense fallback={<EmptyState>Loading…</EmptyState>}>
    <TaskTimeline taskId={taskId} />
  </Suspense>
);

export function RouteView() {
  const route = useRoute();
  const role = useConnection((s) => s.role);
  const placeRef = useRef<HTMLDivElement>(null);
  const path = routePath(route);
  // A view opened from further down the page (the Agents list, the Tasks table) is brought
  // into sight and takes the focus, so keyboard and screen reader users land in it too.
  useEffect(() => {
    const place = placeRef.current;
    if (!place || path === '/') return;
    // The view sits at the top of the page, under the sticky header: the page goes back to its top.
    window.scrollTo({ top: 0 });
    place.focus({ preventScroll: true });
  }, [path]);
  let view: ReactNode;
  switch (route.kind) {
    case 'home':
      return null;
    case 'agent':
      view = (
        <AgentView
          key={route.agentId}
          agentId={route.agentId}
          renderCharts={renderCharts}
          renderTimeline={renderTimeline}
        />
      );
      break;
    case 'task':
      view = <TaskView key={route.taskId} taskId={route.taskId} />;
      break;
    case 'audit':
      view = canOperate(role) ? (
        <AuditPanel />
      ) : (
        <Panel title="Audit" label="Not available">
          <div className="panel-body">
            <EmptyState>The audit log is for operators and admins.</EmptyState>
          </div>
        </Panel>
      );
      break;
  }
  return (
    <div className="layout-wide route-view" ref={placeRef} tabIndex={-1} style={{ outline: 'none' }}>
      <Suspense fallback={<EmptyState>Loading…</EmptyState>}>{view}</Suspense>
    </div>
  );
}
