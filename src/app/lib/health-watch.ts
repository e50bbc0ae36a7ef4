/**
 * The page keeps an eye on `/healthz` while it runs, so an outage the socket cannot see shows:
 * with Redis down on this server's process, the connection stays `open`, but messages from other
 * processes and the agents' presence are unknown. One request at a time; an answer that is not
 * Nexus's JSON (the server restarting behind a proxy) changes nothing.
 */
import { fetchHealth, type Health } from './health';

export const HEALTH_POLL_MS = 3000;

export function createHealthWatch(onHealth: (health: Health) => void, intervalMs = HEALTH_POLL_MS): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const controller = new AbortController();
  const tick = async () => {
    const health = await fetchHealth(controller.signal);
    if (stopped) return;
    if (health) onHealth(health);
    timer = setTimeout(() => void tick(), intervalMs);
  };
  void tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
    controller.abort();
  };
}
