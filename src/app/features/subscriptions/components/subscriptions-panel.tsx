/**
 * Subscriptions: what the dashboard listens to, each subscription's status, and
 * add/remove — through the addSubscription/removeSubscription actions, never the socket.
 */
import { useMemo } from 'react';
import { EmptyState, Panel } from '../../../components/panel';
import { useSubscriptions } from '../../../hooks/use-stores';
import { removeSubscription } from '../../../lib/nexus';
import type { SubscriptionEntry } from '../../../store/subscriptions-store';
import { describeFilters } from '../utils/parse-filters';
import { AddSubscriptionForm } from './add-subscription-form';
import './subscriptions.css';

export function SubscriptionsPanel() {
  const subscriptions = useSubscriptions();
  const byChannel = useMemo(() => groupByChannel(subscriptions), [subscriptions]);
  return (
    <Panel
      title={
        <>
          Subscriptions <span className="muted">({subscriptions.length})</span>
        </>
      }
      label="Subscriptions"
    >
      {byChannel.size === 0 ? (
        <EmptyState>Not subscribed to any channel.</EmptyState>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Channel</th>
              <th scope="col">Filters · status</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {[...byChannel].map(([channel, entries]) => (
              <ChannelRow key={channel} channel={channel} entries={entries} />
            ))}
          </tbody>
        </table>
      )}
      <AddSubscriptionForm />
    </Panel>
  );
}

// Unsubscribing drops every subscription of a channel, so one row and one Remove
// button per channel, listing that channel's subscriptions inside.
function ChannelRow({ channel, entries }: { channel: string; entries: readonly SubscriptionEntry[] }) {
  return (
    <tr>
      <td className="mono">{channel}</td>
      <td>
        {entries.map((entry) => (
          <div key={describeFilters(entry.filters)} className="subs-filters">
            <span className="mono">{describeFilters(entry.filters)}</span>
            <span className="badge" data-subscription-status={entry.status}>
              {entry.status}
            </span>
            {entry.status === 'error' && entry.error && <span className="error-text">{entry.error}</span>}
          </div>
        ))}
      </td>
      <td className="subs-actions">
        <button
          type="button"
          className="btn small"
          aria-label={`Remove subscription ${channel}`}
          onClick={() => removeSubscription(channel)}
        >
          Remove
        </button>
      </td>
    </tr>
  );
}

function groupByChannel(subscriptions: readonly SubscriptionEntry[]): Map<string, SubscriptionEntry[]> {
  const groups = new Map<string, SubscriptionEntry[]>();
  for (const entry of subscriptions) {
    const group = groups.get(entry.channel);
    if (group) group.push(entry);
    else groups.set(entry.channel, [entry]);
  }
  return groups;
}
