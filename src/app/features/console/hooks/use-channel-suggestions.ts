/** Channel names worth suggesting: the domain channels plus every channel seen or subscribed. */
import { useMemo } from 'react';
import { DEFAULT_CHANNELS } from '@nexus-realtime/client/protocol';
import { useMessageLog, useSubscriptions } from '../../../hooks/use-stores';
import { logChannels } from '../utils/log-format';

export function useChannelSuggestions(): string[] {
  // Sorted, so the shallow comparison in useMessageLog skips re-renders while no new channel appears.
  const seen = useMessageLog((s) => logChannels(s.entries));
  const subscriptions = useSubscriptions();
  return useMemo(() => {
    const names = new Set<string>(DEFAULT_CHANNELS);
    for (const name of seen) names.add(name);
    for (const sub of subscriptions) names.add(sub.channel);
    return [...names];
  }, [seen, subscriptions]);
}
