/** The Redis broker's connections, opened lazily (RedisBroker.start connects them). */
import { Redis } from 'ioredis';

/** Longest wait between two reconnection attempts. */
const MAX_RETRY_DELAY_MS = 2000;

/**
 * The broker's four connections: commands; a bulk lane for large publishes; a subscriber
 * carrying messages only; one for the control plane. They fail fast while disconnected (the local fallback takes over; nothing waits
 * in an offline queue) and keep reconnecting. Neither pub/sub connection resubscribes by itself:
 * each owner restores exactly its own set on every (re)connect, so channels watched or dropped
 * while Redis was away are neither lost nor leaked.
 */
export function openConnections(url: string): { commands: Redis; bulk: Redis; subscriber: Redis; control: Redis } {
  const common = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (times: number) => Math.min(50 * 2 ** times, MAX_RETRY_DELAY_MS),
    lazyConnect: true,
  };
  return {
    commands: new Redis(url, { ...common, connectionName: 'nexus-commands' }),
    bulk: new Redis(url, { ...common, connectionName: 'nexus-bulk' }),
    subscriber: new Redis(url, { ...common, autoResubscribe: false, connectionName: 'nexus-subscriber' }),
    control: new Redis(url, { ...common, autoResubscribe: false, connectionName: 'nexus-control' }),
  };
}
