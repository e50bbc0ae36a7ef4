/**
 * Starts the data plane: in a Web Worker where the platform has one (the browser), else in the
 * page's own thread behind the same interface (unit tests under happy-dom). Either way the page
 * talks to it through a DataPlaneClient.
 */
import type { NexusWebSocketOptions } from '@nexus-realtime/client';
import { DashboardCore } from './dashboard-core';
import { DataPlaneClient } from './data-plane-client';
import type { FromCore, ToCore } from './messages';
import { RECONNECT } from './reconnect';

export function createDataPlane(url: string, provideToken: () => Promise<string>): DataPlaneClient {
  if (typeof Worker === 'function' && import.meta.env.MODE !== 'test') return inWorker(url, provideToken);
  return inThread(url, provideToken);
}

function inWorker(url: string, provideToken: () => Promise<string>): DataPlaneClient {
  const worker = new Worker(new URL('./dashboard.worker.ts', import.meta.url), { type: 'module', name: url });
  const client = new DataPlaneClient((message: ToCore) => worker.postMessage(message), provideToken);
  worker.onmessage = (event: MessageEvent<FromCore>) => client.receive(event.data);
  return client;
}

/** The same core in this thread; messages are handed over directly (no copy, no transfer). */
export function inThread(
  url: string,
  provideToken: () => Promise<string>,
  options: NexusWebSocketOptions = {},
): DataPlaneClient {
  // The two sides refer to each other: the client is made first, the core right after.
  const side: { core?: DashboardCore } = {};
  const client = new DataPlaneClient((message) => side.core?.handle(message), provideToken);
  side.core = new DashboardCore(url, (message) => client.receive(message), { ...RECONNECT, ...options });
  return client;
}
