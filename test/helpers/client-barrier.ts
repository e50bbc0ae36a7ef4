/**
 * `clientBarrier`: the `TestClient.barrier` of a `NexusWebSocket` — a heartbeat ping and its
 * pong on the client's own connection.
 */
import type { NexusWebSocket } from '@nexus-realtime/client';

/** One heartbeat round trip: resolves on the next `rtt` event, rejects after `timeoutMs`. */
function roundTrip(client: NexusWebSocket, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no heartbeat pong within ${timeoutMs} ms (state ${client.state})`));
    }, timeoutMs);
    const off = client.on('rtt', () => {
      clearTimeout(timer);
      off();
      resolve();
    });
    client.checkLiveness();
  });
}

/**
 * Waits until the server has answered every frame the client sent before the call. The server
 * answers the frames of one connection in order, so once the pong of a ping sent now is here,
 * everything the server had sent on this connection before it has arrived too: use it before
 * checking that something did not arrive. Two round trips, because a heartbeat ping already in
 * flight (sent earlier) is waited for instead of a new one being sent. The client must be `open`.
 */
export async function clientBarrier(client: NexusWebSocket, timeoutMs = 5000): Promise<void> {
  await roundTrip(client, timeoutMs);
  await roundTrip(client, timeoutMs);
}
