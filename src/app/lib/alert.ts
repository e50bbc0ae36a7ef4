/**
 * Alerts as the page keeps them: one rule for one agent (or task), `firing` or `resolved`,
 * perhaps acknowledged. They arrive from `GET /api/alerts` and live on the `alerts` channel
 * (a `broadcast` from `nexus` carrying the whole alert at each change). Checked here, at the
 * edge: anything else on the channel is ignored. The pure rules of merging both sources live
 * here too, so the store and its tests need no React and no socket.
 */
import { z } from 'zod';
import { AlertSeverity, AlertState, type Alert } from '@nexus-realtime/client/protocol';

const MAX_ID_LENGTH = 128;
const id = z.string().min(1).max(MAX_ID_LENGTH);
const isoTime = z
  .string()
  .max(64)
  .refine((text) => Number.isFinite(Date.parse(text)), 'not a time');

const alertSchema = z.object({
  id,
  rule: id,
  agent_id: id.optional(),
  task_id: id.optional(),
  severity: z.enum([AlertSeverity.Warning, AlertSeverity.Critical]),
  state: z.enum([AlertState.Firing, AlertState.Resolved]),
  value: z.number().finite().optional().catch(undefined),
  started_at: isoTime,
  resolved_at: isoTime.optional().catch(undefined),
  acknowledged_by: z.string().max(MAX_ID_LENGTH).optional().catch(undefined),
  acknowledged_at: isoTime.optional().catch(undefined),
});

/** A payload of the `alerts` channel (or a row of `GET /api/alerts`), or undefined when it is not an alert. */
export function parseAlert(data: unknown): Alert | undefined {
  const parsed = alertSchema.safeParse(data);
  if (!parsed.success) return undefined;
  // Optional fields the server left out stay out (no `key: undefined`), so equal alerts stay equal.
  return Object.fromEntries(Object.entries(parsed.data).filter(([, value]) => value !== undefined)) as unknown as Alert;
}

/** An answer of `GET /api/alerts`: its alerts, the malformed rows dropped. */
export function parseAlerts(rows: unknown): Alert[] {
  if (!Array.isArray(rows)) return [];
  return rows.map(parseAlert).filter((alert): alert is Alert => alert !== undefined);
}

/**
 * How far an alert has come: firing < firing and acknowledged < resolved < resolved and
 * acknowledged. An alert only moves forward, so of two copies the further one is the newer; at
 * the same step the later copy wins (a firing alert's latest value).
 */
export function alertStep(alert: Alert): number {
  return (alert.state === AlertState.Resolved ? 2 : 0) + (alert.acknowledged_at ? 1 : 0);
}

/** Whether `next` may replace `known` (no copy yet, or at least as far along). */
export function supersedes(next: Alert, known: Alert | undefined): boolean {
  return known === undefined || alertStep(next) >= alertStep(known);
}

/** Resolved alerts the page keeps (the newest): enough for the list and the charts' bands. */
export const MAX_RESOLVED_KEPT = 500;
/** `GET /api/alerts?state=resolved&limit=` the page asks for. */
export const RESOLVED_LOAD_LIMIT = 200;

export function timeMs(iso: string | undefined): number {
  if (iso === undefined) return NaN;
  return Date.parse(iso);
}

/** When an alert ended (resolved), else when it started: the newest resolved alerts are kept. */
function endedMs(alert: Alert): number {
  return timeMs(alert.resolved_at ?? alert.started_at) || 0;
}

/** Applies live changes in arrival order; returns `current` itself when nothing changed. */
export function applyAlertChanges(
  current: ReadonlyMap<string, Alert>,
  changes: readonly Alert[],
): ReadonlyMap<string, Alert> {
  let next: Map<string, Alert> | undefined;
  for (const change of changes) {
    const known = (next ?? current).get(change.id);
    if (!supersedes(change, known)) continue;
    next ??= new Map(current);
    next.set(change.id, change);
  }
  return next ? capResolved(next) : current;
}

/**
 * A fresh answer is what the server holds now: it replaces what the page had (an alert resolved
 * while the page was away does not stay firing). Only alerts that changed live while the request
 * was in flight (`touchedIds`) may be newer than the answer: those copies are kept when further along.
 */
export function reconcileAlerts(
  current: ReadonlyMap<string, Alert>,
  fetched: readonly Alert[],
  touchedIds: ReadonlySet<string>,
): ReadonlyMap<string, Alert> {
  const next = new Map<string, Alert>();
  for (const alert of fetched) if (supersedes(alert, next.get(alert.id))) next.set(alert.id, alert);
  for (const alertId of touchedIds) {
    const live = current.get(alertId);
    if (live && (next.get(alertId) === undefined || alertStep(live) > alertStep(next.get(alertId)!)))
      next.set(alertId, live);
  }
  return capResolved(next);
}

function capResolved(alerts: Map<string, Alert>): Map<string, Alert> {
  const resolved = [...alerts.values()].filter((alert) => alert.state === AlertState.Resolved);
  if (resolved.length <= MAX_RESOLVED_KEPT) return alerts;
  resolved.sort((a, b) => endedMs(b) - endedMs(a));
  for (const alert of resolved.slice(MAX_RESOLVED_KEPT)) alerts.delete(alert.id);
  return alerts;
}

/** How many of `alerts` are firing. */
export function countFiring(alerts: ReadonlyMap<string, Alert>): number {
  let count = 0;
  for (const alert of alerts.values()) if (alert.state === AlertState.Firing) count++;
  return count;
}
