/**
 * Slow-consumer limit, honestly counted: only bytes the peer has not read count against
 * NEXUS_MAX_BUFFERED. A reader that keeps reading gets a burst far larger than the limit in
 * full (permessage-deflate on or off); a reader that stops reading is cut with 4008, the
 * server's memory stays bounded and everyone else keeps receiving.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MB, canForceGc, settledMemory } from '../helpers/memory.js';
import { LeanSubscriber, metricValue, pollUntil, scrapeMetrics } from '../helpers/raw.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { tokenFor } from '../helpers/tokens.js';
import { TestClient, sleep } from '../helpers/ws-client.js';

const MAX_BUFFERED = 1_048_576;
const BURST = 60;
/** Random base64: deflate shrinks it by only a quarter, so compression does not hide the volume. */
const blob = () => randomBytes(48 * 1024).toString('base64'); // 64 KiB of text

let userCounter = 0;
const user = (prefix: string) => `bp-${prefix}-${++userCounter}`;
const notClosed = (ms: number) => sleep(ms).then(() => ({ code: -1, reason: 'not closed' }));

/**
 * Publishes `count` messages of ~64 KiB in one synchronous loop, the way a burst from the broker
 * reaches the hub: every delivery is written to the subscribers within one event-loop turn.
 */
function burst(server: TestServer, channel: string, count: number): void {
  for (let i = 0; i < count; i++)
    void server.broker.publish({ channel, kind: 'broadcast', from: 'nexus', data: { i, blob: blob() } });
}

const slowConsumerCuts = async (server: TestServer) =>
  metricValue(await scrapeMetrics(server), 'nexus_dropped_total', 'reason="slow_consumer"') ?? 0;

for (const deflate of [false, true]) {
  describe(`backpressure with NEXUS_MAX_BUFFERED=${MAX_BUFFERED}, NEXUS_DEFLATE=${deflate ? 'on' : 'off'}`, () => {
    /** A bystander and a reader about to stop reading, both subscribed to `channel`. */
    async function bystanderAndReader(channel: string, readerName: string) {
      const options = { perMessageDeflate: deflate };
      const bystander = await LeanSubscriber.connect(server.wsUrl, await tokenFor(user('bystander')), options);
      await bystander.subscribe(channel);
      const reader = await TestClient.connect(server.wsUrl, await tokenFor(user(readerName)), options);
      await reader.subscribe(channel);
      return { bystander, reader };
    }

    /**
     * Publishes bursts until the server cuts a slow consumer (at most 10 bursts, ~38 MiB), the
     * bystander receiving each; returns how many were published.
     */
    async function publishUntilCut(channel: string, bystander: LeanSubscriber, cutsBefore: number): Promise<number> {
      let published = 0;
      for (let round = 0; round < 10 && (await slowConsumerCuts(server)) === cutsBefore; round++) {
        burst(server, channel, BURST);
        published += BURST;
        await bystander.waitFor(published, 15_000);
      }
      expect(await slowConsumerCuts(server), `not cut after ${published} messages`).toBe(cutsBefore + 1);
      return published;
    }

    let server: TestServer;
    beforeAll(async () => {
      server = await startServer({
        env: {
          NEXUS_MAX_BUFFERED: String(MAX_BUFFERED),
          NEXUS_DEFLATE: deflate ? 'on' : 'off',
          NEXUS_HISTORY_SIZE: '10',
        },
        deps: { closeGraceMs: 5000 },
      });
    });
    afterAll(() => server.close());

    it(`a reader that keeps reading receives every message of bursts of ${BURST} × 64 KiB and stays open`, async () => {
      const channel = `bp.burst.${deflate}`;
      const reader = await LeanSubscriber.connect(server.wsUrl, await tokenFor(user('reader')), {
        perMessageDeflate: deflate,
      });
      expect(reader.socket.extensions.includes('permessage-deflate')).toBe(deflate);
      await reader.subscribe(channel);
      const cutsBefore = await slowConsumerCuts(server);
      // Each burst is almost four times the limit, written within one turn.
      for (let round = 1; round <= 3; round++) {
        burst(server, channel, BURST);
        await reader.waitFor(round * BURST, 15_000);
      }
      // And the same from a client publishing as fast as it can.
      const publisher = await TestClient.connect(server.wsUrl, await tokenFor(user('pub'), 'operator'));
      const acks = Array.from({ length: BURST }, (_, i) => publisher.next((f) => f.id === i, 15_000));
      for (let i = 0; i < BURST; i++)
        publisher.send({ action: 'publish', channel, id: i, payload: { i, blob: blob() } });
      for (const ack of await Promise.all(acks)) expect(ack.type).toBe('ack');
      await reader.waitFor(4 * BURST, 15_000);
      expect(reader.seqs).toEqual(Array.from({ length: 4 * BURST }, (_, k) => k + 1));
      expect(await Promise.race([reader.closed, notClosed(200)])).toEqual({ code: -1, reason: 'not closed' });
      expect(await slowConsumerCuts(server)).toBe(cutsBefore);
      await Promise.all([reader.close(), publisher.close()]);
    }, 60_000);

    it('a paused reader is cut with 4008, memory stays bounded, a bystander keeps receiving', async () => {
      const channel = `bp.paused.${deflate}`;
      const { bystander, reader: paused } = await bystanderAndReader(channel, 'paused');
      const before = await settledMemory();
      const cutsBefore = await slowConsumerCuts(server);
      paused.socket.pause();
      let published = await publishUntilCut(channel, bystander, cutsBefore);
      // What the server still holds for it (until the close completes) is bounded by the limit.
      const grown = (await settledMemory()) - before;
      expect(grown, `memory grew by ${(grown / MB).toFixed(1)} MB`).toBeLessThan(canForceGc() ? 24 * MB : 200 * MB);
      paused.socket.resume();
      expect(await Promise.race([paused.closed, notClosed(6000)])).toEqual({ code: 4008, reason: 'slow consumer' });
      expect(paused.ofType('broadcast').length).toBeLessThan(published);
      expect(await pollUntil(() => server.connections() === 1, 2000)).toBe(true);
      // The bystander got every message in order, and keeps receiving after the cut.
      burst(server, channel, 5);
      published += 5;
      await bystander.waitFor(published, 15_000);
      expect(bystander.seqs).toEqual(Array.from({ length: published }, (_, k) => k + 1));
      expect(bystander.errors).toEqual([]);
      await bystander.close();
    }, 60_000);

    it('a reader paused for 10 s under load, then reading again, gets 4008 (not 1006) while a bystander keeps receiving', async () => {
      const channel = `bp.suspended.${deflate}`;
      const { bystander, reader: suspended } = await bystanderAndReader(channel, 'suspended');
      const cutsBefore = await slowConsumerCuts(server);
      // A suspended tab: the socket is not read at all.
      suspended.socket.pause();
      const pausedAt = Date.now();
      let published = await publishUntilCut(channel, bystander, cutsBefore);
      // The load goes on while the tab sleeps, longer than any close grace the server uses for others.
      while (Date.now() - pausedAt < 10_000) {
        burst(server, channel, 5);
        published += 5;
        await bystander.waitFor(published, 15_000);
        await sleep(500);
      }
      suspended.socket.resume();
      expect(await Promise.race([suspended.closed, notClosed(10_000)])).toEqual({
        code: 4008,
        reason: 'slow consumer',
      });
      expect(suspended.ofType('broadcast').length).toBeLessThan(published);
      expect(await pollUntil(() => server.connections() === 1, 2000)).toBe(true);
      expect(bystander.seqs).toEqual(Array.from({ length: published }, (_, k) => k + 1));
      expect(bystander.errors).toEqual([]);
      await bystander.close();
    }, 60_000);
  });
}
