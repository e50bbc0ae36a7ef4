/**
 * The charts' time when an alert opens its agent's view: around when it started. A firing alert
 * that started within the last half of a live range is shown live on the shortest such range (the
 * view moves on with it, and shows as long before the start as since); otherwise a fixed range
 * from a while before it started to a while after it resolved (or now).
 */
import type { Alert } from '@nexus-realtime/client/protocol';
import { timeMs } from '../../../lib/alert';
import type { ViewTime } from '../../../lib/open-view';
import { MIN_ZOOM_MS, RANGES } from '../../../lib/time-range';

/** Shown before the alert started, so the rise that led to it is in sight. */
export const BEFORE_ALERT_MS = 10 * 60_000;
/** Shown after it resolved. */
export const AFTER_ALERT_MS = 5 * 60_000;

export function alertViewTime(alert: Alert, nowMs: number): ViewTime {
  const startedMs = timeMs(alert.started_at) || nowMs;
  const resolvedMs = timeMs(alert.resolved_at);
  if (Number.isNaN(resolvedMs)) {
    // The shortest live range whose right half holds the start: at least as much before it as since.
    const live = RANGES.find((range) => range.live && nowMs - startedMs <= range.ms / 2);
    if (live) return { range: live.key, zoom: null };
  }
  const fromMs = startedMs - BEFORE_ALERT_MS;
  const endMs = Number.isNaN(resolvedMs) ? nowMs : resolvedMs + AFTER_ALERT_MS;
  const toMs = Math.max(Math.min(endMs, nowMs), fromMs + MIN_ZOOM_MS);
  return { zoom: { fromMs, toMs } };
}
