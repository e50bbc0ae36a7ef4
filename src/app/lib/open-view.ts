/**
 * Opens a view and the charts' time at once, as one history entry: Back returns to where the
 * person was, not to the same view with the old range.
 */
import { telemetryStore } from '../store/telemetry-store';
import type { RangeKey, Zoom } from './time-range';
import { pickView, viewSearch, type UrlWindow } from './view-url';
import { navigate, routePath, type ViewRoute } from './view-route';

/** A live range, or a fixed zoom into the past. */
export type ViewTime = { readonly range: RangeKey; readonly zoom: null } | { readonly zoom: Zoom };

export function openViewAt(route: ViewRoute, time: ViewTime, win: UrlWindow = window): void {
  const current = telemetryStore.getState();
  const next = { ...pickView(current), ...time };
  win.history.pushState(null, '', `${routePath(route)}${viewSearch(next)}${win.location.hash}`);
  navigate(route, win); // the address already names the route: no second entry
  telemetryStore.setState(time.zoom ? { zoom: time.zoom } : { range: time.range, zoom: null });
}
