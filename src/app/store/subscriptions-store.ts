/** Subscriptions slice: what the dashboard is subscribed to, and each subscription's status. */
import { createStore } from 'zustand/vanilla';
import type { Filters } from '../../client/index.js';

export interface SubscriptionEntry {
  readonly channel: string;
  readonly filters: Filters | undefined;
  status: 'pending' | 'active' | 'error';
  error?: string;
}

export const subscriptionsStore = createStore<{ subscriptions: SubscriptionEntry[] }>(() => ({ subscriptions: [] }));
