/**
 * The dashboard's Web Worker: the data plane off the main thread. The WebSocket URL comes as the
 * worker's name; everything else by messages (see messages.ts).
 */
/// <reference lib="webworker" />
import { DashboardCore } from './dashboard-core';
import { RECONNECT } from './reconnect';
import type { FromCore, ToCore } from './messages';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const core = new DashboardCore(
  scope.name,
  (message: FromCore, transfer?: Transferable[]) => scope.postMessage(message, transfer ?? []),
  RECONNECT,
);
scope.onmessage = (event: MessageEvent<ToCore>) => core.handle(event.data);
