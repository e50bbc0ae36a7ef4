/** The Alerts region's rows from the store: sorted once per change of the alerts, not per render. */
import { useMemo } from 'react';
import { useStore } from 'zustand';
import type { Alert } from '@nexus-realtime/client/protocol';
import { alertsStore } from '../../../store/alerts-store';
import { firingRows, resolvedRows } from '../utils/alert-rows';

export function useAlertRows(): { firing: Alert[]; resolved: Alert[] } {
  const byId = useStore(alertsStore, (s) => s.byId);
  return useMemo(() => ({ firing: firingRows(byId.values()), resolved: resolvedRows(byId.values()) }), [byId]);
}
