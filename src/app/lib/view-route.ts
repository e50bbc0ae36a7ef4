/**
 * Which of the page's own views the address names, beside the charts' view that the query holds
 * (view-url.ts): an agent (`/agents/<id>`), a task (`/tasks/<id>`), the audit log (`/audit`), or
 * none (`/`). The path is the route and the query the chart view, so a copied link such as
 * `/agents/agent_007?range=1h` opens that agent with that range, and Back/Forward move between
 * views. Opening a view pushes a history entry and keeps the query as it is.
 *
 * The address comes from anyone: an unknown path, or an id that is empty, too long or not
 * decodable, is the dashboard itself, never an error.
 */
import { createStore } from 'zustand/vanilla';
import type { UrlWindow } from './view-url';

export type ViewRoute =
  | { readonly kind: 'home' }
  | { readonly kind: 'agent'; readonly agentId: string }
  | { readonly kind: 'task'; readonly taskId: string }
  | { readonly kind: 'audit' };

export const HOME_ROUTE: ViewRoute = { kind: 'home' };

/** Ids in the address are bounded like ids anywhere else (agent and task ids are at most 128 characters). */
const MAX_ID_LENGTH = 128;

function decodeId(segment: string): string | undefined {
  try {
    const id = decodeURIComponent(segment);
    return id.length > 0 && id.length <= MAX_ID_LENGTH ? id : undefined;
  } catch {
    return undefined;
  }
}

/** The route a path names (a trailing slash is the same path). */
export function parseRoute(pathname: string): ViewRoute {
  const parts = pathname.split('/').filter((part) => part !== '');
  if (parts.length === 1 && parts[0] === 'audit') return { kind: 'audit' };
  if (parts.length !== 2) return HOME_ROUTE;
  const id = decodeId(parts[1]!);
  if (id === undefined) return HOME_ROUTE;
  if (parts[0] === 'agents') return { kind: 'agent', agentId: id };
  if (parts[0] === 'tasks') return { kind: 'task', taskId: id };
  return HOME_ROUTE;
}

/** The path of a route; the same route always gives the same text. */
export function routePath(route: ViewRoute): string {
  switch (route.kind) {
    case 'home':
      return '/';
    case 'audit':
      return '/audit';
    case 'agent':
      return `/agents/${encodeURIComponent(route.agentId)}`;
    case 'task':
      return `/tasks/${encodeURIComponent(route.taskId)}`;
  }
}

export interface RouteSlice {
  readonly route: ViewRoute;
}

/** The route shown now; follows the address (bindRouteToUrl) and `navigate`. */
export const routeStore = createStore<RouteSlice>(() => ({ route: HOME_ROUTE }));

let boundWindow: UrlWindow | undefined;

/** Opens a view: a new history entry with the route's path and the current query (the chart view). */
export function navigate(route: ViewRoute, win: UrlWindow | undefined = boundWindow): void {
  const path = routePath(route);
  if (win && win.location.pathname !== path) {
    win.history.pushState(null, '', `${path}${win.location.search}${win.location.hash}`);
  }
  if (routePath(routeStore.getState().route) !== path) routeStore.setState({ route });
}

/** Reads the route from the address now and on every Back/Forward. Returns `off()`. */
export function bindRouteToUrl(win: UrlWindow = window): () => void {
  boundWindow = win;
  const read = () => {
    const route = parseRoute(win.location.pathname);
    if (routePath(routeStore.getState().route) !== routePath(route)) routeStore.setState({ route });
  };
  read();
  win.addEventListener('popstate', read);
  return () => {
    win.removeEventListener('popstate', read);
    if (boundWindow === win) boundWindow = undefined;
  };
}
