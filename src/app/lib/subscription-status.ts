/**
 * The subscriptions store follows the connection, so the panel never shows stale state as live:
 * every subscription is `pending` while the connection is not open, becomes `active` when the
 * server confirms it (also each resubscribe after a reconnect), and `error` only when the server
 * refused it. A subscribe cut short by the client itself (`disconnect()`, a lost connection) is
 * not an error: the client still holds it and sends it again on the next connection.
 */
import type { Filters, SubscribeResult } from '@nexus-realtime/client';
import { ClientErrorCode } from '@nexus-realtime/client';
import { subscriptionsStore, type SubscriptionEntry } from '../store/subscriptions-store';

type Status = SubscriptionEntry['status'];

/** Every client-side code (a cut connection, a terminal failure…): not a refusal by the server. */
const CLIENT_SIDE: ReadonlySet<string> = new Set<string>(Object.values(ClientErrorCode));

function filtersKey(filters: Filters | undefined): string {
  return JSON.stringify(filters ?? {});
}

export function sameSubscription(
  a: Pick<SubscriptionEntry, 'channel' | 'filters'>,
  channel: string,
  filters?: Filters,
) {
  return a.channel === channel && filtersKey(a.filters) === filtersKey(filters);
}

function update(pick: (entry: SubscriptionEntry) => boolean, next: (entry: SubscriptionEntry) => SubscriptionEntry) {
  subscriptionsStore.setState((s) => {
    let changed = false;
    const subscriptions = s.subscriptions.map((entry) => {
      if (!pick(entry)) return entry;
      const replaced = next(entry);
      changed ||= replaced.status !== entry.status || replaced.error !== entry.error;
      return replaced;
    });
    return changed ? { subscriptions } : s;
  });
}

const withStatus =
  (status: Status) =>
  (entry: SubscriptionEntry): SubscriptionEntry => {
    const { error: _error, ...rest } = entry;
    return { ...rest, status };
  };

/** The connection left `open`: nothing is active until the server confirms it again. */
export function markAllPending(): void {
  update((entry) => entry.status === 'active', withStatus('pending'));
}

/** The server confirmed the subscriptions of `channel`. */
export function markChannelActive(channel: string): void {
  update((entry) => entry.channel === channel && entry.status === 'pending', withStatus('active'));
}

/** The first answer to a subscribe: active, refused by the server (error), or still pending. */
export function applySubscribeResult(channel: string, filters: Filters | undefined, result: SubscribeResult): void {
  const pick = (entry: SubscriptionEntry) => sameSubscription(entry, channel, filters);
  if (result.ok) return update(pick, withStatus('active'));
  if (CLIENT_SIDE.has(result.code)) return update(pick, withStatus('pending'));
  update(pick, (entry) => ({ ...entry, status: 'error', error: `${result.code}: ${result.message}` }));
}

/** Subscriptions the server refused: after signing in again they are worth another try. */
export function takeRefused(): SubscriptionEntry[] {
  const refused = subscriptionsStore.getState().subscriptions.filter((entry) => entry.status === 'error');
  update((entry) => entry.status === 'error', withStatus('pending'));
  return refused;
}
