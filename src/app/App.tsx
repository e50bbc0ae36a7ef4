/**
 * The dashboard's layout. Each feature reads the stores itself; nothing here holds data, so the
 * layout renders once and live data re-renders only the panels that show it.
 *
 * The first screen's JavaScript stays small: the charts (recharts) and the admin views load on
 * demand, in chunks of their own — the charts at once, beside the first render, the data plane
 * only for an admin.
 */
import { lazy, Suspense, type ComponentType, type ReactNode } from 'react';
import { EmptyState, Panel } from './components/panel';
import { FiringCount } from './features/alerts/components/firing-count';
import { AgentsPanel } from './features/agents/components/agents-panel';
import { ConnectionBar } from './features/connection/components/connection-bar';
import { RedisBanner } from './features/connection/components/redis-banner';
import { TokenDialog } from './features/connection/components/token-dialog';
import { MessageLog } from './features/console/components/message-log';
import { PublishConsole } from './features/console/components/publish-console';
import { SubscriptionsPanel } from './features/subscriptions/components/subscriptions-panel';
import { TasksPanel } from './features/tasks/components/tasks-panel';
import { useNexusWebSocket } from './hooks/use-nexus-websocket';
import { useConnection } from './hooks/use-stores';
import { RouteLink } from './components/route-link';
import { ChartAnnotationsContext, type AnnotatedChart, type RenderChartAnnotations } from './lib/chart-annotations';
import { canOperate } from './lib/roles';
import { RouteView } from './route-view';

// The charts are on the first screen, only not in its first bytes: their fetch starts as this
// module runs, alongside the first render, not after it.
const telemetryPanel = import('./features/telemetry/components/telemetry-panel');
const TelemetryPanel = lazy(() => telemetryPanel.then((m) => ({ default: m.TelemetryPanel })));
// The Alerts region is on the first screen too; its code (rows, virtualizer, acknowledging) comes
// alongside the first render like the charts', keeping the first bytes small. The header's count is not deferred.
const alertsPanel = import('./features/alerts/components/alerts-panel').then(
  (m) => ({ default: m.AlertsPanel }),
  () => ({ default: AlertsUnavailable }),
);
const AlertsPanel = lazy(() => alertsPanel);
// Alert thresholds, periods and command markers on every chart: recharts elements, fetched as the
// page starts (beside the charts' own code, not when the first chart draws: the server may be gone
// by then). Code that could not be fetched means charts without annotations, never a broken page.
const noAnnotations: ComponentType<AnnotatedChart> = () => null;
const chartAnnotations: Promise<{ default: ComponentType<AnnotatedChart> }> =
  import('./features/alerts/components/chart-annotations').then(
    (m) => ({ default: m.ChartAnnotations }),
    () => ({ default: noAnnotations }),
  );
const ChartAnnotations = lazy(() => chartAnnotations);
const renderChartAnnotations: RenderChartAnnotations = (chart) => (
  <Suspense fallback={null}>
    <ChartAnnotations {...chart} />
  </Suspense>
);
const DataPlanePanel = lazy(() =>
  import('./features/admin/components/data-plane-panel').then((m) => ({ default: m.DataPlanePanel })),
);

export function App() {
  useNexusWebSocket();
  return (
    <ChartAnnotationsContext value={renderChartAnnotations}>
      <div className="app">
        <header className="topbar">
          <div className="brand">
            <svg width="20" height="20" viewBox="0 0 32 32" aria-hidden="true">
              <circle cx="16" cy="16" r="14" fill="var(--accent)" />
              <circle cx="16" cy="16" r="5" fill="var(--panel)" />
            </svg>
            <h1 style={{ fontSize: 16, margin: 0 }}>Nexus</h1>
          </div>
          <FiringCount />
          <AuditLink />
          <ConnectionBar />
        </header>
        <RedisBanner />
        <RouteView />
        <main className="layout">
          <div className="col">
            <Suspense fallback={<TelemetryLoading />}>
              <TelemetryPanel />
            </Suspense>
            <TasksPanel />
            <MessageLog />
          </div>
          <div className="col">
            <Suspense fallback={<AlertsLoading />}>
              <AlertsPanel />
            </Suspense>
            <PublishConsole />
            <AgentsPanel />
            <SubscriptionsPanel />
          </div>
        </main>
        <AdminViews />
        <TokenDialog />
      </div>
    </ChartAnnotationsContext>
  );
}

/** A region whose code is loading (a moment, once per page) or could not be fetched. */
function PanelNotice({ title, busy, children }: { title: string; busy?: boolean; children: ReactNode }) {
  return (
    <Panel title={title} label={title}>
      <div className="panel-body" aria-busy={busy}>
        <EmptyState>{children}</EmptyState>
      </div>
    </Panel>
  );
}

const TelemetryLoading = () => (
  <PanelNotice title="Telemetry" busy>
    Loading charts…
  </PanelNotice>
);
const AlertsLoading = () => (
  <PanelNotice title="Alerts" busy>
    Loading alerts…
  </PanelNotice>
);
/** The server went away as the page opened. */
const AlertsUnavailable = () => (
  <PanelNotice title="Alerts">
    The alerts view could not be loaded. Reload the page once the server is back.
  </PanelNotice>
);

/** Operators and admins open the audit log (`/audit`) from the header. */
function AuditLink() {
  const operating = useConnection((s) => canOperate(s.role));
  if (!operating) return null;
  return (
    <nav aria-label="Views">
      <RouteLink route={{ kind: 'audit' }} className="btn small">
        Audit
      </RouteLink>
    </nav>
  );
}

/** The admin views: their code is fetched only when the signed-in role is `admin`. */
function AdminViews() {
  const isAdmin = useConnection((s) => s.role === 'admin');
  if (!isAdmin) return null;
  return (
    <div className="layout-wide">
      <Suspense fallback={null}>
        <DataPlanePanel />
      </Suspense>
    </div>
  );
}
