/**
 * Alerts the page knows: what `GET /api/alerts` answered, kept live from the `alerts` channel
 * in batches (at most once per animation frame, lib/alerts-feed.ts), so a thousand alerts firing
 * at once cost one update, not a thousand renders. The firing count is kept beside the map, so
 * the header reads one number.
 */
import { createStore } from 'zustand/vanilla';
import type { Alert } from '@nexus-realtime/client/protocol';
import { applyAlertChanges, countFiring, reconcileAlerts } from '../lib/alert';

export interface AlertsSlice {
  readonly byId: ReadonlyMap<string, Alert>;
  readonly firingCount: number;
  /** The server's answer has arrived at least once. */
  readonly loaded: boolean;
  /**
   * What is shown is what the server holds now: loaded since the connection last opened, and
   * the connection still open. False while disconnected or reloading after a reconnect.
   */
  readonly live: boolean;
  /** Why the last load failed, if it did. */
  readonly loadError: string | undefined;
}

const INITIAL: AlertsSlice = { byId: new Map(), firingCount: 0, loaded: false, live: false, loadError: undefined };

export const alertsStore = createStore<AlertsSlice>(() => INITIAL);

/** A batch heard live, in arrival order. */
export function applyAlertBatch(changes: readonly Alert[]): void {
  if (changes.length === 0) return;
  const current = alertsStore.getState().byId;
  const byId = applyAlertChanges(current, changes);
  if (byId !== current) alertsStore.setState({ byId, firingCount: countFiring(byId) });
}

/** A fresh answer of the server (see `reconcileAlerts`); the page is live again. */
export function replaceAlerts(fetched: readonly Alert[], touchedIds: ReadonlySet<string>): void {
  const byId = reconcileAlerts(alertsStore.getState().byId, fetched, touchedIds);
  alertsStore.setState({ byId, firingCount: countFiring(byId), loaded: true, live: true, loadError: undefined });
}

export function markAlertsNotLive(loadError?: string): void {
  const state = alertsStore.getState();
  if (state.live || loadError !== state.loadError) alertsStore.setState({ live: false, loadError });
}

/** Tests start from nothing. */
export function resetAlerts(): void {
  alertsStore.setState(INITIAL);
}
