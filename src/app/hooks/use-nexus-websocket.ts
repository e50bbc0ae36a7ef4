/**
 * Starts the dashboard's one connection (idempotent: safe under StrictMode's double effects and
 * hot reload) and returns the connection slice.
 */
import { useEffect } from 'react';
import { startDashboard } from '../lib/nexus';
import { useConnection } from './use-stores';

export function useNexusWebSocket() {
  useEffect(() => {
    void startDashboard();
  }, []);
  return useConnection((s) => s);
}
