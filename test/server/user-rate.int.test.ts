/**
 * A user's connections on one process share twice one connection's rate: opening more
 * connections does not multiply what one token may make the server parse. Another user (the
 * bystander) keeps its own rate and its round trip.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.js';
import { tokenFor } from '../helpers/tokens.js';
import { TestClient, sleep } from '../helpers/ws-client.js';

const CONNECTIONS = 10;
const PINGS_EACH = 150;

describe("limits: a user's connections together", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it('share twice one connection’s burst: 10 connections × 150 frames get 400 answers, a bystander keeps its rate', async () => {
    const token = await tokenFor('many-conns', 'agent');
    const clients = await Promise.all(
      Array.from({ length: CONNECTIONS }, () => TestClient.connect(server.wsUrl, token)),
    );
    const bystander = await TestClient.connect(server.wsUrl, await tokenFor('rate-bystander', 'viewer'));
    // Each connection stays within its own burst of 200: alone, every frame would be served.
    const sentAt = performance.now();
    for (const client of clients) for (let i = 0; i < PINGS_EACH; i++) client.send({ action: 'ping', id: i });
    const served = () => clients.reduce((sum, c) => sum + c.ofType('pong').length, 0);
    // 2 × 200 in the burst (however long a loaded machine takes to answer them)…
    await expect.poll(served, { timeout: 10_000 }).toBeGreaterThanOrEqual(400);
    await sleep(200);
    // …plus at most what the shared rate (2 × 100/s) refilled meanwhile — far from the 1,500
    // that 10 connections within their own bursts would get without sharing.
    const elapsedS = (performance.now() - sentAt) / 1000;
    expect(served()).toBeLessThanOrEqual(400 + Math.ceil(200 * elapsedS) + 10);
    const refused = clients.reduce(
      (sum, c) => sum + c.ofType('error').filter((f) => f.code === 'rate_limited').length,
      0,
    );
    expect(refused).toBeGreaterThan(0);
    // Another user has a bucket of its own: its whole burst is served at once.
    for (let i = 0; i < 150; i++) bystander.send({ action: 'ping', id: i });
    await bystander.next((f) => f.type === 'pong' && f.id === 149, 5000);
    expect(bystander.ofType('error')).toEqual([]);
    await Promise.all([...clients, bystander].map((c) => c.close()));
  });

  it('the shared buckets go with the last connection: a user back later starts with a full burst', async () => {
    const token = await tokenFor('comes-back', 'agent');
    const first = await TestClient.connect(server.wsUrl, token);
    // Well past the burst of 200, even if a loaded machine lets the bucket refill while they arrive.
    for (let i = 0; i < 600; i++) first.send({ action: 'ping', id: i });
    await first.next((f) => f.type === 'error' && f.code === 'rate_limited', 5000);
    await first.close();
    await sleep(50);
    const again = await TestClient.connect(server.wsUrl, token);
    for (let i = 0; i < 200; i++) again.send({ action: 'ping', id: i });
    await again.next((f) => f.type === 'pong' && f.id === 199, 5000);
    expect(again.ofType('error')).toEqual([]);
    await again.close();
  });

  it("once one connection spends the user's shared bytes, its other connections are not read until they refill", async () => {
    const token = await tokenFor('bulk-agent', 'agent');
    const connect = () => TestClient.connect(server.wsUrl, token);
    const [first, second, third, sibling] = [await connect(), await connect(), await connect(), await connect()];
    const bystander = await TestClient.connect(server.wsUrl, await tokenFor('hold-bystander', 'viewer'));
    const megabyte = `"${'m'.repeat(1_000_000)}"`;
    const publishBig = (client: TestClient, i: number) =>
      client.send(`{"action":"publish","channel":"hold.bulk","id":"big-${i}","payload":${megabyte}}`);
    // 4 MB from each of three connections, each within its own 4 MiB burst: together past the
    // 8 MiB their user shares, so one of them finds the shared buckets spent.
    const spenders = [first, second, third];
    const refusal = Promise.race(
      spenders.map((client) => client.next((f) => f.type === 'error' && f.code === 'rate_limited', 10_000)),
    );
    for (const client of spenders) for (let i = 0; i < 4; i++) publishBig(client, i);
    await refusal;
    const heldAt = performance.now();
    const siblingPong = sibling.request({ action: 'ping' }, 10_000).then(() => performance.now() - heldAt);
    const bystanderPong = bystander.request({ action: 'ping' }, 10_000).then(() => performance.now() - heldAt);
    // The other user is answered at once; the sibling only once its user's hold (up to 2 s) ends.
    const [siblingMs, bystanderMs] = await Promise.all([siblingPong, bystanderPong]);
    expect(bystanderMs).toBeLessThan(siblingMs);
    expect(siblingMs).toBeGreaterThan(500);
    expect(sibling.ofType('error')).toEqual([]);
    await Promise.all([first, second, third, sibling, bystander].map((c) => c.close()));
  });
});
