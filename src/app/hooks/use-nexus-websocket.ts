/**
 * Starts the dashboard's one connection (idempotent: safe under StrictMode's double effects and
 * hot reload). It returns nothing and subscribes to nothing: the component that calls it (the
 * layout) must not re-render with the connection's figures; each panel reads the slice it shows.
 */
import { useEffect } from 'react';
import { startDashboard } from '../lib/nexus';

export function useNexusWebSocket(): void {
  useEffect(() => {
    void startDashboard();
  }, []);
}
