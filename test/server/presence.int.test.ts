/**
 * Channel presence on one process: `GET /api/channels/:channel/presence` lists who subscribes
 * now (connections summed per user, since its first subscription; the subscribe policy decides
 * who may ask); a subscribe with `"presence": true` gets one join when a user's first
 * subscription starts and one leave when its last ends, however many tabs it has, and none for a
 * user back within the leave grace.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PresenceEntry } from '@nexus-realtime/client/protocol';
import { ISO_8601, clientPool, restJson, uniqueChannel } from '../helpers/assertions.js';
import { pollUntil } from '../helpers/raw.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { tokenFor } from '../helpers/tokens.js';
import type { Frame, TestClient } from '../helpers/ws-client.js';

/** The leave grace of the server (domain/channel-presence.ts), and slack for a loaded machine. */
const LEAVE_WAIT_MS = 3_000 + 5_000;

let server: TestServer;
let viewer: string;
const pool = clientPool();

const presenceFrames = (client: TestClient, channel: string) =>
  client.frames.filter((f) => f.type === 'presence' && f.channel === channel);
const events = (client: TestClient, channel: string) =>
  presenceFrames(client, channel).map((f) => `${f.event as string}:${f.userId as string}`);

async function presenceOf(channel: string, token = viewer) {
  return restJson(server.url, `/api/channels/${channel}/presence`, { token });
}
async function usersOf(channel: string): Promise<PresenceEntry[]> {
  const answer = await presenceOf(channel);
  expect(answer.status).toBe(200);
  return (answer.body as PresenceEntry[]).sort((a, b) => a.userId.localeCompare(b.userId));
}

beforeAll(async () => {
  const policy = join(tmpdir(), `nexus-presence-policy-${process.pid}.json`);
  const all = { subscribe: ['*'], publish: ['*'] };
  writeFileSync(
    policy,
    JSON.stringify({
      roles: { viewer: { subscribe: ['pres.*', 'secret-ok'], publish: [] }, operator: all, admin: all },
    }),
  );
  server = await startServer({ env: { NEXUS_POLICY: policy } });
  viewer = await tokenFor('pres-viewer', 'viewer');
});
afterEach(() => pool.closeAll());
afterAll(() => server?.close());

describe('channel presence on one process', () => {
  it('one join per user however many tabs, one leave when its last subscription ends; GET lists who is there', async () => {
    const channel = uniqueChannel('pres.tabs');
    const listener = await pool.connect(server.wsUrl, viewer);
    expect(await listener.subscribe(channel, { presence: true })).toMatchObject({ type: 'subscribed', channel });
    const bob = await tokenFor('pres-bob', 'operator');
    const tabs = [await pool.connect(server.wsUrl, bob), await pool.connect(server.wsUrl, bob)];
    for (const tab of tabs) await tab.subscribe(channel);
    // A second subscription of the same connection (other filters) is no new join either.
    await tabs[0]!.subscribe(channel, { filters: { kind: 'x' } });

    const join = await listener.next((f) => f.type === 'presence' && f.userId === 'pres-bob');
    expect(join).toEqual({
      type: 'presence',
      channel,
      event: 'join',
      userId: 'pres-bob',
      role: 'operator',
      timestamp: expect.stringMatching(ISO_8601),
    });
    const users = await usersOf(channel);
    expect(users).toEqual([
      { userId: 'pres-bob', role: 'operator', connections: 2, since: expect.stringMatching(ISO_8601) },
      { userId: 'pres-viewer', role: 'viewer', connections: 1, since: expect.stringMatching(ISO_8601) },
    ]);

    // One tab unsubscribes: bob is still there, with one connection.
    expect(await tabs[0]!.request({ action: 'unsubscribe', channel })).toMatchObject({ type: 'unsubscribed' });
    expect(
      await pollUntil(
        async () => (await usersOf(channel)).find((u) => u.userId === 'pres-bob')?.connections === 1,
        5000,
      ),
    ).toBe(true);
    // The last one closes: one leave.
    await tabs[1]!.close();
    await listener.next((f) => f.type === 'presence' && f.event === 'leave', LEAVE_WAIT_MS);
    expect((await usersOf(channel)).map((u) => u.userId)).toEqual(['pres-viewer']);
    await listener.barrier();
    expect(events(listener, channel).filter((e) => e.endsWith('pres-bob'))).toEqual([
      'join:pres-bob',
      'leave:pres-bob',
    ]);
  }, 30_000);

  it('a user back within the grace neither leaves nor joins again (a page reload)', async () => {
    const channel = uniqueChannel('pres.reload');
    const listener = await pool.connect(server.wsUrl, viewer);
    await listener.subscribe(channel, { presence: true });
    const carol = await tokenFor('pres-carol', 'viewer');
    const first = await pool.connect(server.wsUrl, carol);
    await first.subscribe(channel);
    await listener.next((f) => f.type === 'presence' && f.userId === 'pres-carol');
    await first.close();
    const again = await pool.connect(server.wsUrl, carol);
    await again.subscribe(channel);
    // Eve leaves after carol came back: her leave comes one grace later, so a leave of carol's
    // (whose grace started earlier) would have come before it.
    const eve = await pool.connect(server.wsUrl, await tokenFor('pres-eve', 'viewer'));
    await eve.subscribe(channel);
    await listener.next((f) => f.type === 'presence' && f.userId === 'pres-eve');
    await eve.close();
    await listener.next((f) => f.type === 'presence' && f.userId === 'pres-eve' && f.event === 'leave', LEAVE_WAIT_MS);
    expect(events(listener, channel).filter((e) => e.endsWith('pres-carol'))).toEqual(['join:pres-carol']);
    expect((await usersOf(channel)).find((u) => u.userId === 'pres-carol')).toMatchObject({ connections: 1 });
  }, 30_000);

  it('a reconnect storm within the grace makes no leave and no second join', async () => {
    const channel = uniqueChannel('pres.storm');
    const listener = await pool.connect(server.wsUrl, viewer);
    await listener.subscribe(channel, { presence: true });
    const tokens = await Promise.all(Array.from({ length: 100 }, (_, i) => tokenFor(`storm-${i}`, 'viewer')));
    const open = async () =>
      Promise.all(
        tokens.map(async (token) => {
          const client = await pool.connect(server.wsUrl, token);
          await client.subscribe(channel);
          return client;
        }),
      );
    const first = await open();
    expect(await pollUntil(() => presenceFrames(listener, channel).length >= 101, 10_000)).toBe(true);
    // Every client drops and comes back at once.
    await Promise.all(first.map((client) => client.close()));
    await open();
    // A sentinel leaves after the storm: its leave comes one grace later, after any of theirs.
    const sentinel = await pool.connect(server.wsUrl, await tokenFor('pres-sentinel', 'viewer'));
    await sentinel.subscribe(channel);
    await sentinel.close();
    await listener.next(
      (f) => f.type === 'presence' && f.userId === 'pres-sentinel' && f.event === 'leave',
      LEAVE_WAIT_MS,
    );
    const storm = events(listener, channel).filter((e) => e.includes(':storm-'));
    expect(storm.filter((e) => e.startsWith('join:'))).toHaveLength(100);
    expect(storm.filter((e) => e.startsWith('leave:'))).toEqual([]);
    expect((await usersOf(channel)).filter((u) => u.userId.startsWith('storm-'))).toHaveLength(100);
  }, 60_000);

  it('only subscriptions that asked get presence frames', async () => {
    const channel = uniqueChannel('pres.quiet');
    const quiet = await pool.connect(server.wsUrl, viewer);
    await quiet.subscribe(channel);
    const dave = await pool.connect(server.wsUrl, await tokenFor('pres-dave', 'viewer'));
    await dave.subscribe(channel);
    expect(await pollUntil(async () => (await usersOf(channel)).length === 2, 5000)).toBe(true);
    await dave.close();
    expect(await pollUntil(async () => (await usersOf(channel)).length === 1, 5000)).toBe(true);
    await quiet.barrier();
    expect(presenceFrames(quiet, channel)).toEqual([]);
  });

  it('follows the subscribe policy: a refused subscribe joins nothing, GET answers 403 where one may not subscribe', async () => {
    const listener = await pool.connect(server.wsUrl, await tokenFor('pres-admin', 'admin'));
    await listener.subscribe('secret', { presence: true });
    const snoop = await pool.connect(server.wsUrl, viewer);
    expect(await snoop.subscribe('secret')).toMatchObject({ type: 'error', code: 'forbidden' });
    const refused = await presenceOf('secret');
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: { code: 'forbidden' } });
    const asAdmin = await presenceOf('secret', await tokenFor('pres-admin', 'admin'));
    expect((asAdmin.body as PresenceEntry[]).map((u) => u.userId)).toEqual(['pres-admin']);
    expect((await presenceOf('bad name!')).status).toBe(400);
    expect((await restJson(server.url, '/api/channels/secret-ok/presence')).status).toBe(401);
    expect((await presenceOf('secret-ok')).body).toEqual([]);
    await listener.barrier();
    expect(presenceFrames(listener, 'secret').map((f: Frame) => f.userId)).toEqual(['pres-admin']);
  });
});
