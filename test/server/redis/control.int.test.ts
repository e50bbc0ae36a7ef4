/**
 * The admin control plane never endangers message delivery between processes: a Redis with a
 * tiny pub/sub output-buffer limit, a viewer pinning large filters on B, an admin polling the
 * connection list on A while B's publisher sends acked messages to a subscriber on A. Every
 * acked message arrives, in order, once.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MISSING_PROCESSES_HEADER, NEXT_CURSOR_HEADER, type AdminConnection } from '@nexus-realtime/client/protocol';
import { clientPool, deliveries, restJson, uniqueChannel } from '../../helpers/assertions.js';
import { pollUntil } from '../../helpers/raw.js';
import { startRedis, type TestRedis } from '../../helpers/redis.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { tokenFor } from '../../helpers/tokens.js';
import { sleep, type TestClient } from '../../helpers/ws-client.js';

/** Filters of about 4 KB each, 15 per connection: just under the 64 KiB a connection may hold. */
const BIG_FILTER_BYTES = 4000;
const SUBSCRIPTIONS_PER_VIEWER = 15;
const VIEWERS = 40;

/** Walks every page of the connection list (bounded: at most 1,000 pages). */
export async function listAll(
  server: TestServer,
  token: string,
  query = '',
): Promise<{ list: AdminConnection[]; pages: number; missing: string[] }> {
  const list: AdminConnection[] = [];
  const missing: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const params = [query, cursor === null ? '' : `cursor=${encodeURIComponent(cursor)}`].filter(Boolean).join('&');
    const answer = await restJson(server.url, `/api/admin/connections${params ? `?${params}` : ''}`, { token });
    if (answer.status !== 200) throw new Error(`page ${pages}: ${answer.status} ${JSON.stringify(answer.body)}`);
    list.push(...(answer.body as AdminConnection[]));
    missing.push(...(answer.headers.get(MISSING_PROCESSES_HEADER)?.split(',') ?? []));
    cursor = answer.headers.get(NEXT_CURSOR_HEADER);
    pages++;
  } while (cursor !== null && pages < 1000);
  return { list, pages, missing };
}

describe('admin polls while Redis has a tiny pub/sub output buffer', () => {
  let redis: TestRedis;
  let a: TestServer;
  let b: TestServer;
  let admin: string;
  const pool = clientPool();

  beforeAll(async () => {
    // Redis cuts a pub/sub client holding more than 1 MB of unread replies (or 512 KB for 1 s).
    redis = await startRedis({ args: ['--client-output-buffer-limit', 'pubsub 1mb 512kb 1'] });
    const env = { NEXUS_REDIS_URL: redis.url, LOG_LEVEL: 'error' };
    [a, b] = await Promise.all([startServer({ env }), startServer({ env })]);
    admin = await tokenFor('root', 'admin');
  });
  afterEach(() => pool.closeAll());
  afterAll(async () => {
    await pool.closeAll();
    await Promise.all([a?.close(), b?.close()]);
    await redis?.stop();
  });

  /** VIEWERS connections on `server`, each with large filtered subscriptions (a ~2.4 MB admin answer). */
  async function pinLargeFilters(server: TestServer, channel: string): Promise<TestClient[]> {
    // One user per connection: a user's connections share its rate, and these subscribe at once.
    const viewers = await Promise.all(
      Array.from({ length: VIEWERS }, async (_, v) =>
        pool.connect(server.wsUrl, await tokenFor(`pinning-viewer-${v}`, 'viewer')),
      ),
    );
    await Promise.all(
      viewers.map(async (viewer, v) => {
        for (let s = 0; s < SUBSCRIPTIONS_PER_VIEWER; s++) {
          const value = (key: string) => `${v}.${s}.${key}.`.padEnd(BIG_FILTER_BYTES / 4 - 20, 'x');
          const filters = { a: value('a'), b: value('b'), c: value('c'), d: value('d') };
          const reply = await viewer.subscribe(channel, { filters });
          if (reply.type !== 'subscribed') throw new Error(`subscribe refused: ${JSON.stringify(reply)}`);
        }
      }),
    );
    return viewers;
  }

  it('a subscriber on A gets every message acked on B while an admin on A polls the connection list', async () => {
    const pinned = uniqueChannel('pinned');
    await pinLargeFilters(b, pinned);
    const channel = uniqueChannel('acked');
    const subscriber = await pool.connect(a.wsUrl, await tokenFor('counting-subscriber', 'viewer'));
    await subscriber.subscribe(channel);
    const publisher = await pool.connect(b.wsUrl, await tokenFor('acked-publisher', 'operator'));

    let polling = true;
    const polls: { status: number; listed: number; missing: string | null }[] = [];
    const poller = (async () => {
      // Bounded: at most 200 polls, and it stops when the publisher is done.
      for (let i = 0; i < 200 && polling; i++) {
        const answer = await restJson(a.url, '/api/admin/connections', { token: admin });
        polls.push({
          status: answer.status,
          listed: Array.isArray(answer.body) ? answer.body.length : -1,
          missing: answer.headers.get(MISSING_PROCESSES_HEADER),
        });
        await sleep(20);
      }
    })();

    const acked: number[] = [];
    const refused: string[] = [];
    const deadline = Date.now() + 20_000;
    for (let n = 1; n <= 300 && Date.now() < deadline; n++) {
      const ack = await publisher.publish(channel, { n });
      if (ack.type === 'ack') acked.push(ack.seq as number);
      else refused.push(JSON.stringify(ack));
      await sleep(12); // under the publisher's 100 frames/s
    }
    polling = false;
    await poller;

    const received = () => deliveries(subscriber, channel).map((f) => f.seq as number);
    await pollUntil(() => received().length >= acked.length, 10_000);
    const lost = acked.filter((seq) => !received().includes(seq));
    expect({ acked: acked.length, lost: lost.length }).toEqual({ acked: 300, lost: 0 });
    expect(received()).toEqual(acked);
    expect(refused).toEqual([]);
    expect(polls.length).toBeGreaterThan(3);
    expect(polls.every((p) => p.status === 200)).toBe(true);
    // Each page is bounded in bytes: B's heavy connections come a few at a time.
    expect(polls.at(-1)!.listed).toBeGreaterThan(0);
    expect(polls.at(-1)!.listed).toBeLessThan(VIEWERS);
  }, 90_000);

  it('the viewers of B are all listed from A, each once with its subscriptions, in bounded pages', async () => {
    const pinned = uniqueChannel('pinned');
    await pinLargeFilters(b, pinned);
    const { list, pages } = await listAll(a, admin, `channel=${pinned}`);
    expect(list).toHaveLength(VIEWERS);
    expect(new Set(list.map((c) => c.connectionId)).size).toBe(VIEWERS);
    expect(pages).toBeGreaterThan(2);
    for (const connection of list) expect(connection.subscriptions).toHaveLength(SUBSCRIPTIONS_PER_VIEWER);
  }, 60_000);
});

describe('the connection list of three processes, page by page', () => {
  let redis: TestRedis;
  let servers: TestServer[];
  let admin: string;
  const pool = clientPool();

  beforeAll(async () => {
    redis = await startRedis();
    const env = { NEXUS_REDIS_URL: redis.url, LOG_LEVEL: 'error' };
    servers = await Promise.all([startServer({ env }), startServer({ env }), startServer({ env })]);
    admin = await tokenFor('root', 'admin');
  });
  afterAll(async () => {
    await pool.closeAll();
    await Promise.all(servers.map((s) => s.close()));
    await redis?.stop();
  });

  it('walking the cursor with small limits lists each of 300 connections exactly once; filters apply before paging', async () => {
    const opened: TestClient[] = [];
    for (const [i, server] of servers.entries()) {
      const tokens = await Promise.all([tokenFor(`pager-${i}-even`), tokenFor(`pager-${i}-odd`)]);
      opened.push(
        ...(await Promise.all(Array.from({ length: 100 }, (_, n) => pool.connect(server.wsUrl, tokens[n % 2])))),
      );
    }
    const channel = uniqueChannel('paged');
    await Promise.all(opened.filter((_, n) => n % 3 === 0).map((client) => client.subscribe(channel)));
    const ids = new Set(opened.length === 300 ? servers.map((s) => s.broker.processId) : []);
    expect(ids.size).toBe(3);

    for (const [asker, limit] of [
      [servers[0]!, 7],
      [servers[2]!, 100],
      [servers[1]!, 1],
    ] as const) {
      const { list, pages, missing } = await listAll(asker, admin, `limit=${limit}`);
      const mine = list.filter((c) => c.userId.startsWith('pager-'));
      expect(missing).toEqual([]);
      expect(mine).toHaveLength(300);
      expect(new Set(mine.map((c) => c.connectionId)).size).toBe(300);
      expect(pages).toBeGreaterThanOrEqual(Math.ceil(300 / limit));
      // Every process's connections are all there.
      for (const server of servers) expect(mine.filter((c) => c.process === server.broker.processId)).toHaveLength(100);
    }
    const byChannel = await listAll(servers[1]!, admin, `channel=${channel}&limit=9`);
    expect(byChannel.list).toHaveLength(100);
    expect(new Set(byChannel.list.map((c) => c.connectionId)).size).toBe(100);
    const byUser = await listAll(servers[2]!, admin, 'userId=pager-1-odd&limit=4');
    expect(byUser.list).toHaveLength(50);
    expect(byUser.list.every((c) => c.process === servers[1]!.broker.processId)).toBe(true);

    const bad = await restJson(servers[0]!.url, '/api/admin/connections?limit=5001', { token: admin });
    expect(bad.status).toBe(400);
    const badCursor = await restJson(servers[0]!.url, '/api/admin/connections?cursor=nope', { token: admin });
    expect(badCursor.status).toBe(400);
  }, 120_000);
});
