/** Subscriptions slice: what the dashboard is subscribed to, and each subscription's status. */
import { createStore } from 'zustand/vanilla';
import type { Filters } from '@nexus-realtime/client';

export interface SubscriptionEntry {
  readonly channel: string;
  readonly filters: Filters | undefined;
  status: 'pending' | 'active' | 'error';
  error?: string;
}

export const subscriptionsStore = createStore<{ subscriptions: SubscriptionEntry[] }>(() => ({ subscriptions: [] }));
