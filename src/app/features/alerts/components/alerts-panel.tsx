/**
 * The "Alerts" region: firing alerts first — severity, agent, rule, since, value — with
 * "Acknowledge" for operators and admins and who acknowledged each; the resolved ones a click
 * away ("Resolved"). Loaded from `GET /api/alerts` and kept live from the `alerts` channel
 * (lib/alerts-feed.ts); while that is not sure to be the server's state now, it says so.
 * Clicking an alert's agent opens the agent's view around the time the alert started.
 */
import { useCallback, useMemo, useState, type ReactNode } from 'react';
import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import type { Alert } from '@nexus-realtime/client/protocol';
import { EmptyState, Panel } from '../../../components/panel';
import { useConnection } from '../../../hooks/use-stores';
import { useAlertRules } from '../../../lib/alert-rules-query';
import { canOperate } from '../../../lib/roles';
import { alertsStore } from '../../../store/alerts-store';
import { useAckAlert } from '../api/ack-alert';
import { useAlertRows } from '../hooks/use-alert-rows';
import { useOpenAlert } from '../hooks/use-open-alert';
import { AlertList } from './alert-list';
import { ALERTS_REGION_ID } from './firing-count';
import './alerts.css';

type Tab = 'firing' | 'resolved';

export function AlertsPanel() {
  const [tab, setTab] = useState<Tab>('firing');
  const { firing, resolved } = useAlertRows();
  const { live, loaded, loadError } = useStore(
    alertsStore,
    useShallow((s) => ({ live: s.live, loaded: s.loaded, loadError: s.loadError })),
  );
  const canAck = useConnection((s) => canOperate(s.role));
  const rules = useAlertRules();
  const rulesById = useMemo(() => new Map(rules.map((rule) => [rule.id, rule])), [rules]);
  const onOpen = useOpenAlert();
  const ack = useAckAlert();
  const [acking, setAcking] = useState<ReadonlySet<string>>(() => new Set());
  const onAck = useCallback(
    (alert: Alert) => {
      setAcking((s) => new Set(s).add(alert.id));
      ack.mutate(alert.id, {
        onSettled: () =>
          setAcking((s) => {
            const next = new Set(s);
            next.delete(alert.id);
            return next;
          }),
      });
    },
    [ack],
  );
  const shown = tab === 'firing' ? firing : resolved;
  const actions = (
    <span className="muted">
      {firing.length} firing{live || !loaded ? '' : ' · not live (reconnecting or reloading)'}
    </span>
  );
  return (
    <div id={ALERTS_REGION_ID}>
      <Panel title="Alerts" label="Alerts" actions={actions}>
        <div className="panel-body">
          <div className="alerts-tabs" role="group" aria-label="Show alerts">
            <TabButton pressed={tab === 'firing'} onClick={() => setTab('firing')}>
              Firing ({firing.length})
            </TabButton>
            <TabButton pressed={tab === 'resolved'} onClick={() => setTab('resolved')}>
              Resolved ({resolved.length})
            </TabButton>
          </div>
          {loadError && (
            <p role="alert" className="error-text">
              Could not load alerts: {loadError}. Asked again in a few seconds.
            </p>
          )}
          {ack.error && (
            <p role="alert" className="error-text">
              Acknowledge failed: {ack.error.message}
            </p>
          )}
          {shown.length > 0 ? (
            <AlertList
              label={tab === 'firing' ? 'Firing alerts' : 'Resolved alerts'}
              alerts={shown}
              rules={rulesById}
              canAck={canAck}
              acking={acking}
              onAck={onAck}
              onOpen={onOpen}
            />
          ) : (
            <EmptyState>
              {!loaded ? 'Loading alerts…' : tab === 'firing' ? 'Nothing is firing.' : 'No resolved alerts.'}
            </EmptyState>
          )}
        </div>
      </Panel>
    </div>
  );
}

function TabButton({ pressed, onClick, children }: { pressed: boolean; onClick: () => void; children: ReactNode }) {
  return (
    <button type="button" className={`btn small${pressed ? ' primary' : ''}`} aria-pressed={pressed} onClick={onClick}>
      {children}
    </button>
  );
}
