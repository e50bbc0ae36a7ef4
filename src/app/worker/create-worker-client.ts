/**
 * Starts the worker side: in a Web Worker in the browser, or in the page's own thread behind the
 * same interface under unit tests (happy-dom has no Worker; see in-thread.ts). Either way the page
 * talks to it through a WorkerClient. The test branch is dropped from production builds.
 */
import type { FromCore, ToCore } from './messages';
import { WorkerClient } from './worker-client';

export function createWorkerClient(url: string, provideToken: () => Promise<string>): WorkerClient {
  if (import.meta.env.MODE === 'test') return inThreadLater(url, provideToken);
  return inWorker(url, provideToken);
}

function inWorker(url: string, provideToken: () => Promise<string>): WorkerClient {
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: url });
  const client = new WorkerClient((message: ToCore) => worker.postMessage(message), provideToken);
  worker.onmessage = (event: MessageEvent<FromCore>) => client.receive(event.data);
  return client;
}

/**
 * No Web Worker: the core runs in this thread. It is imported on demand, so the page's own
 * bundle never carries the socket, the ring buffers or chart preparation (they are the worker's);
 * what the page says before the core is there waits, in order.
 */
function inThreadLater(url: string, provideToken: () => Promise<string>): WorkerClient {
  const waiting: ToCore[] = [];
  let handle: ((message: ToCore) => void) | undefined;
  const client = new WorkerClient((message) => (handle ? handle(message) : waiting.push(message)), provideToken);
  void import('./in-thread').then(({ startCore }) => {
    const core = startCore(url, client);
    handle = (message) => core.handle(message);
    for (const message of waiting.splice(0)) handle(message);
  });
  return client;
}
