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
    for (const client of clients) for (let i = 0; i < PINGS_EACH; i++) client.send({ action: 'ping', id: i });
    await sleep(300);
    const served = clients.reduce((sum, c) => sum + c.ofType('pong').length, 0);
    // 2 × 200 in the burst, plus what the shared rate (2 × 100/s) refilled meanwhile.
    expect(served).toBeGreaterThanOrEqual(400);
    expect(served).toBeLessThan(500);
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
    for (let i = 0; i < 250; i++) first.send({ action: 'ping', id: i });
    await first.next((f) => f.type === 'error' && f.code === 'rate_limited', 5000);
    await first.close();
    await sleep(50);
    const again = await TestClient.connect(server.wsUrl, token);
    for (let i = 0; i < 200; i++) again.send({ action: 'ping', id: i });
    await again.next((f) => f.type === 'pong' && f.id === 199, 5000);
    expect(again.ofType('error')).toEqual([]);
    await again.close();
  });
});
