/**
 * The dashboard's Web Worker entry: the worker core off the main thread. The WebSocket URL comes
 * as the worker's name; everything else by messages (see messages.ts).
 */
/// <reference lib="webworker" />
import type { FromCore, ToCore } from './messages';
import { RECONNECT } from './reconnect';
import { WorkerCore } from './worker-core';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const core = new WorkerCore(
  scope.name,
  (message: FromCore, transfer?: Transferable[]) => scope.postMessage(message, transfer ?? []),
  RECONNECT,
);
scope.onmessage = (event: MessageEvent<ToCore>) => core.handle(event.data);
