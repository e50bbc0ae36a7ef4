/**
 * Fast back after an outage: while the client waits out its backoff (up to 30 s), the page asks
 * `/healthz` once a second and reconnects at once when the server answers — a restarted server
 * has the page back within about a second instead of at the next backoff step. One request at a
 * time, only while reconnecting.
 */
import { serverAnswers } from './server-hints';

export const SERVER_WATCH_INTERVAL_MS = 1000;

export interface ServerWatch {
  /** Starts watching (idempotent). */
  start(): void;
  stop(): void;
}

export function createServerWatch(onServerBack: () => void, intervalMs = SERVER_WATCH_INTERVAL_MS): ServerWatch {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let controller: AbortController | undefined;
  const tick = async () => {
    controller = new AbortController();
    const back = await serverAnswers(controller.signal);
    if (timer === undefined) return; // stopped meanwhile
    if (back) {
      timer = undefined;
      onServerBack();
      return;
    }
    timer = setTimeout(() => void tick(), intervalMs);
  };
  return {
    start() {
      if (timer !== undefined) return;
      timer = setTimeout(() => void tick(), intervalMs);
    },
    stop() {
      clearTimeout(timer);
      timer = undefined;
      controller?.abort();
      controller = undefined;
    },
  };
}
