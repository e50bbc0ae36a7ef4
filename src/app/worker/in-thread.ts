/**
 * The worker core in the page's own thread, behind the same interface as the Web Worker (unit
 * tests, and platforms without workers): messages are handed over directly (no copy, no
 * transfer).
 */
import type { NexusWebSocketOptions } from '@nexus-realtime/client';
import { RECONNECT } from './reconnect';
import { WorkerClient } from './worker-client';
import { WorkerCore } from './worker-core';

/** A core for `client`, in this thread. */
export function startCore(url: string, client: WorkerClient, options: NexusWebSocketOptions = {}): WorkerCore {
  return new WorkerCore(url, (message) => client.receive(message), { ...RECONNECT, ...options });
}

/** A client and its core, both in this thread. */
export function inThread(
  url: string,
  provideToken: () => Promise<string>,
  options: NexusWebSocketOptions = {},
): WorkerClient {
  // The two sides refer to each other: the client is made first, the core right after.
  const side: { core?: WorkerCore } = {};
  const client = new WorkerClient((message) => side.core?.handle(message), provideToken);
  side.core = startCore(url, client, options);
  return client;
}
