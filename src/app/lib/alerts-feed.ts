/**
 * The page's subscription to `alerts`, the server's alert changes: not a row of the
 * Subscriptions panel (like `agents`, it is the page's own), re-subscribed with the client's
 * other subscriptions after a reconnect. Changes are applied once per animation frame, so a
 * thousand alerts firing at once cost the page one update.
 *
 * It never shows stale state as live: when the connection leaves `open` the alerts are marked
 * not live, and each time it opens (and after a gap on `alerts`) `GET /api/alerts` is asked
 * again, its answer replacing what the page held. A failed load is tried again a few seconds later.
 */
import { AlertLimits, AlertState, Channel, Paths, type Alert } from '@nexus-realtime/client/protocol';
import { applyAlertBatch, markAlertsNotLive, replaceAlerts } from '../store/alerts-store';
import type { WorkerClient } from '../worker';
import { parseAlert, parseAlerts, RESOLVED_LOAD_LIMIT } from './alert';
import { apiGet } from './api-client';
import { createFrameScheduler } from './frame-scheduler';
import { loadErrorText } from './load-error-text';

/** A failed load is asked again this long after, while the connection is open. */
export const ALERTS_RETRY_MS = 5_000;

/** The firing alerts (all of them: the server keeps at most `maxAlerts`) and the newest resolved ones. */
export async function loadAlerts(signal?: AbortSignal): Promise<Alert[]> {
  const [firing, resolved] = await Promise.all([
    apiGet<unknown>(`${Paths.alerts}?state=${AlertState.Firing}&limit=${AlertLimits.maxLimit}`, signal),
    apiGet<unknown>(`${Paths.alerts}?state=${AlertState.Resolved}&limit=${RESOLVED_LOAD_LIMIT}`, signal),
  ]);
  return [...parseAlerts(firing), ...parseAlerts(resolved)];
}

type FeedClient = Pick<WorkerClient, 'on' | 'subscribe' | 'state'>;

/** Subscribes, loads and feeds the store; returns `off()`. */
export function startAlertsFeed(client: FeedClient, load: typeof loadAlerts = loadAlerts): () => void {
  const pending: Alert[] = [];
  /** Ids changed live during each load in flight (loads may overlap). */
  const touchedWhileLoading = new Set<Set<string>>();
  let retry: ReturnType<typeof setTimeout> | undefined;
  let generation = 0;
  const scheduler = createFrameScheduler(() => applyAlertBatch(pending.splice(0)));

  const reload = async () => {
    clearTimeout(retry);
    const mine = ++generation;
    const touched = new Set<string>();
    touchedWhileLoading.add(touched);
    try {
      const alerts = await load();
      applyAlertBatch(pending.splice(0)); // what arrived before the answer is part of `touched`
      if (mine === generation && client.state === 'open') replaceAlerts(alerts, touched);
    } catch (error) {
      if (mine !== generation) return;
      markAlertsNotLive(loadErrorText(error));
      retry = setTimeout(() => client.state === 'open' && void reload(), ALERTS_RETRY_MS);
    } finally {
      touchedWhileLoading.delete(touched);
    }
  };

  const offs = [
    client.on(Channel.Alerts, (data) => {
      const alert = parseAlert(data);
      if (!alert) return;
      for (const touched of touchedWhileLoading) touched.add(alert.id);
      pending.push(alert);
      scheduler.schedule();
    }),
    client.on('state', ({ next }) => {
      if (next === 'open') return;
      generation++; // an answer still in flight belongs to the connection that just ended
      clearTimeout(retry);
      markAlertsNotLive();
    }),
    client.on('connected', () => void reload()),
    client.on('gap', ({ channel }) => channel === Channel.Alerts && void reload()),
  ];
  void client.subscribe(Channel.Alerts);
  return () => {
    for (const off of offs) off();
    scheduler.cancel();
    clearTimeout(retry);
  };
}
