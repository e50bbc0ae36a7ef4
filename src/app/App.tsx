/** The dashboard's layout. Each feature reads the stores itself; nothing here holds data. */
import { DataPlanePanel } from './features/admin/components/data-plane-panel';
import { AgentsPanel } from './features/agents/components/agents-panel';
import { ConnectionBar } from './features/connection/components/connection-bar';
import { RedisBanner } from './features/connection/components/redis-banner';
import { TokenDialog } from './features/connection/components/token-dialog';
import { MessageLog } from './features/console/components/message-log';
import { PublishConsole } from './features/console/components/publish-console';
import { SubscriptionsPanel } from './features/subscriptions/components/subscriptions-panel';
import { TasksPanel } from './features/tasks/components/tasks-panel';
import { TelemetryPanel } from './features/telemetry/components/telemetry-panel';
import { useNexusWebSocket } from './hooks/use-nexus-websocket';

export function App() {
  useNexusWebSocket();
  return (
    <div className="app">
      <header className="topbar">
        <div className="brand">
          <svg width="20" height="20" viewBox="0 0 32 32" aria-hidden="true">
            <circle cx="16" cy="16" r="14" fill="var(--accent)" />
            <circle cx="16" cy="16" r="5" fill="var(--panel)" />
          </svg>
          <h1 style={{ fontSize: 16, margin: 0 }}>Nexus</h1>
        </div>
        <ConnectionBar />
      </header>
      <RedisBanner />
      <main className="layout">
        <div className="col">
          <TelemetryPanel />
          <TasksPanel />
          <MessageLog />
        </div>
        <div className="col">
          <PublishConsole />
          <AgentsPanel />
          <SubscriptionsPanel />
        </div>
      </main>
      <div className="layout-wide">
        <DataPlanePanel />
      </div>
      <TokenDialog />
    </div>
  );
}
