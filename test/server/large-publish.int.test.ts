/**
 * A large publish's payload travels as the text it came in as: validated, not parsed, and spelled
 * byte for byte in every subscriber's frame, in history and through Redis — while filters,
 * domain rules and every refusal (malformed, not finite, too deep) behave as for any publish.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { tokenFor } from '../helpers/tokens.js';
import { TestClient, type Frame } from '../helpers/ws-client.js';

/** ~40 KB of payload text written as no JSON.stringify would write it: spaces, escapes, key order. */
function oddPayload(agentId: string): string {
  const rows = Array.from({ length: 400 }, (_, i) => `{ "i" : ${i} , "s":"a\\u0041\\"q\\" ☃ ${'x'.repeat(60)}" }`);
  return `{ "agent_id" : "${agentId}",\n "rows": [ ${rows.join(' ,\t')} ], "z": 1.50, "n": null }`;
}

/** The raw text of every frame a client receives. */
function rawTexts(client: TestClient): string[] {
  const texts: string[] = [];
  client.socket.on('message', (data: Buffer) => texts.push(data.toString('utf8')));
  return texts;
}

const frameFor = (channel: string, payload: string, id: string) =>
  `{"action":"publish","channel":${JSON.stringify(channel)},"id":"${id}","payload":${payload}}`;

async function sendRaw(client: TestClient, text: string, id: string): Promise<Frame> {
  const reply = client.next((f) => f.id === id, 10_000);
  client.send(text);
  return reply;
}

describe('large publishes carried as text (one process)', () => {
  let server: TestServer;
  const clients: TestClient[] = [];
  const connect = async (user: string, role: string) => {
    const client = await TestClient.connect(server.wsUrl, await tokenFor(user, role));
    clients.push(client);
    return client;
  };
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    for (const client of clients) client.socket.terminate();
    await server.close();
  });

  it('delivers the payload byte for byte, to live subscribers, filtered ones and replays', async () => {
    const publisher = await connect('lp-pub', 'operator');
    const all = await connect('lp-all', 'viewer');
    const mine = await connect('lp-mine', 'viewer');
    const other = await connect('lp-other', 'viewer');
    await all.subscribe('lp.data');
    await mine.subscribe('lp.data', { filters: { agent_id: 'a-1' } });
    await other.subscribe('lp.data', { filters: { agent_id: 'a-2' } });
    const [allRaw, mineRaw] = [rawTexts(all), rawTexts(mine)];
    const payload = oddPayload('a-1');
    expect(await sendRaw(publisher, frameFor('lp.data', payload, 'p1'), 'p1')).toMatchObject({ type: 'ack', seq: 1 });

    const delivered = await all.next((f) => f.type === 'message' && f.channel === 'lp.data');
    expect(delivered.data).toEqual(JSON.parse(payload));
    expect(allRaw.find((t) => t.startsWith('{"type":"message"'))).toContain(`"data":${payload},"timestamp"`);
    await mine.next((f) => f.type === 'message' && f.seq === 1);
    expect(mineRaw.find((t) => t.startsWith('{"type":"message"'))).toContain(`"data":${payload},`);
    // The filter read the payload: the other agent's subscriber got nothing.
    await other.barrier();
    expect(other.ofType('message')).toHaveLength(0);

    // A late subscriber recovering with `since` gets the same bytes from history.
    const late = await connect('lp-late', 'viewer');
    const lateRaw = rawTexts(late);
    await late.subscribe('lp.data', { since: 0, epoch: delivered.epoch });
    await late.next((f) => f.type === 'message' && f.seq === 1);
    expect(lateRaw.find((t) => t.startsWith('{"type":"message"'))).toContain(`"data":${payload},`);
    // And so does the REST history.
    const res = await fetch(`${server.url}/api/channels/lp.data/history`, {
      headers: { authorization: `Bearer ${await tokenFor('lp-rest', 'viewer')}` },
    });
    expect(await res.text()).toContain(`"data":${payload},`);
  });

  it('refuses large payloads that are malformed, not finite or too deep, and delivers none of them', async () => {
    const publisher = await connect('lp-bad', 'operator');
    const watcher = await connect('lp-watch', 'viewer');
    await watcher.subscribe('lp.bad');
    const filler = `"${'f'.repeat(20_000)}"`;
    const cases: [string, string][] = [
      [`[${filler},]`, 'invalid_json'],
      [`[${filler},1e400]`, 'invalid_message'],
      [`[${filler},${'['.repeat(100)}${']'.repeat(100)}]`, 'invalid_message'],
    ];
    for (const [i, [payload, code]] of cases.entries()) {
      // Malformed JSON cannot be trusted to name its id: that error comes without one.
      const reply = publisher.next((f) => f.type === 'error' && (f.id === `b${i}` || f.id === undefined), 10_000);
      publisher.send(frameFor('lp.bad', payload, `b${i}`));
      expect(await reply).toMatchObject({ type: 'error', code });
    }
    // A well-formed large publish afterwards is numbered 1: nothing before it was kept.
    expect(await sendRaw(publisher, frameFor('lp.bad', `[${filler}]`, 'ok'), 'ok')).toMatchObject({ seq: 1 });
    await watcher.next((f) => f.type === 'message' && f.seq === 1);
    expect(watcher.ofType('message')).toHaveLength(1);
  });

  it('still applies domain rules, which read the payload: an agent cannot speak for another', async () => {
    const agent = await connect('agent-lp', 'agent');
    const forged = frameFor('telemetry', oddPayload('someone-else'), 't1');
    expect(await sendRaw(agent, forged, 't1')).toMatchObject({ type: 'error', code: 'forbidden' });
    const own = frameFor('telemetry', oddPayload('agent-lp'), 't2');
    expect(await sendRaw(agent, own, 't2')).toMatchObject({ type: 'ack' });
  });
});

describe('large publishes carried as text (two processes on Redis)', () => {
  let redis: TestRedis;
  let a: TestServer;
  let b: TestServer;
  const clients: TestClient[] = [];
  beforeAll(async () => {
    redis = await startRedis();
    a = await startServer({ env: { NEXUS_REDIS_URL: redis.url } });
    b = await startServer({ env: { NEXUS_REDIS_URL: redis.url } });
  });
  afterAll(async () => {
    for (const client of clients) client.socket.terminate();
    await a?.close();
    await b?.close();
    await redis?.stop();
  });

  it('reaches the other process byte for byte, filtered there too', async () => {
    const publisher = await TestClient.connect(a.wsUrl, await tokenFor('lpr-pub', 'operator'));
    const remote = await TestClient.connect(b.wsUrl, await tokenFor('lpr-sub', 'viewer'));
    const filtered = await TestClient.connect(b.wsUrl, await tokenFor('lpr-f', 'viewer'));
    clients.push(publisher, remote, filtered);
    await remote.subscribe('lpr.data');
    await filtered.subscribe('lpr.data', { filters: { agent_id: 'a-9' } });
    const remoteRaw = rawTexts(remote);
    const payload = oddPayload('a-1');
    expect(await sendRaw(publisher, frameFor('lpr.data', payload, 'r1'), 'r1')).toMatchObject({ type: 'ack' });
    const got = await remote.next((f) => f.type === 'message' && f.channel === 'lpr.data', 10_000);
    expect(got.data).toEqual(JSON.parse(payload));
    expect(remoteRaw.find((t) => t.includes('"lpr.data"'))).toContain(`"data":${payload},`);
    await filtered.barrier();
    expect(filtered.ofType('message')).toHaveLength(0);
  });
});
