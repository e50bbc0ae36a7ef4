/** The route the address names now (lib/view-route.ts), for the views and the links that open them. */
import { useStore } from 'zustand';
import { routeStore, type ViewRoute } from '../lib/view-route';

export function useRoute(): ViewRoute {
  return useStore(routeStore, (s) => s.route);
}
