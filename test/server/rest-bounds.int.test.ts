/**
 * REST answers are bounded in bytes and streamed: a history page of 1 MB messages or a task list
 * of 16 KiB params ends at 8 MiB with a cursor for the rest, walking the cursor yields every item
 * exactly once, and several large answers at once do not each sit in the server's memory.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MB, canForceGc, memoryNow, settledMemory } from '../helpers/memory.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { tokenFor } from '../helpers/tokens.js';
import { TestClient, sleep } from '../helpers/ws-client.js';
import { fastPolicyFile } from '../helpers/policy-file.js';

const ANSWER_CAP = 8 * MB;
const MESSAGES = 24;
const TASKS = 700;

describe('REST answers bounded in bytes', () => {
  let server: TestServer;
  let auth: { authorization: string };

  beforeAll(async () => {
    if (!canForceGc()) throw new Error('these tests need V8 to allow --expose-gc at run time (node:v8)');
    server = await startServer({
      env: { NEXUS_HISTORY_MAX_BYTES: String(256 * MB), NEXUS_POLICY: fastPolicyFile() },
    });
    auth = { authorization: `Bearer ${await tokenFor('reader', 'viewer')}` };
    const writer = await TestClient.connect(server.wsUrl, await tokenFor('writer', 'operator'));
    const big = JSON.stringify('y'.repeat(1_000_000));
    for (let i = 1; i <= MESSAGES; i++) {
      const ack = writer.next((f) => f.id === i, 10_000);
      writer.send(`{"action":"publish","channel":"big","id":${i},"payload":{"n":${i},"text":${big}}}`);
      expect((await ack).type).toBe('ack');
    }
    const params = JSON.stringify({ blob: 'p'.repeat(16 * 1024 - 20) });
    for (let i = 1; i <= TASKS; i++) {
      const ack = writer.next((f) => f.id === i, 10_000);
      const command = `{"command":"execute_task","task_id":"bulk-${i}","params":${params}}`;
      writer.send(`{"action":"publish","channel":"commands","id":${i},"payload":${command}}`);
      expect((await ack).type).toBe('ack');
    }
    await writer.close();
  }, 60_000);
  afterAll(() => server?.close());

  it('a history page stops at 8 MiB with "next", and following it yields every message once', async () => {
    const seen: number[] = [];
    let since: number | undefined = 0;
    let pages = 0;
    while (since !== undefined) {
      const res = await fetch(`${server.url}/api/channels/big/history?since=${since}&limit=1000`, { headers: auth });
      const text = await res.text();
      expect(res.status).toBe(200);
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(ANSWER_CAP);
      const body = JSON.parse(text) as { seq: number; next?: number; messages: { seq: number; data: { n: number } }[] };
      expect(Object.keys(body.messages[0]!)).toEqual(['type', 'seq', 'from', 'data', 'timestamp']);
      for (const m of body.messages) {
        expect(m.data.n).toBe(m.seq);
        seen.push(m.seq);
      }
      pages++;
      since = body.next;
      if (since !== undefined) expect(since).toBe(body.messages.at(-1)!.seq);
    }
    expect(seen).toEqual(Array.from({ length: MESSAGES }, (_, i) => i + 1));
    expect(pages).toBeGreaterThanOrEqual(3);
  });

  it('the task list stops at 8 MiB with an X-Nexus-Next cursor, and following it lists every task once', async () => {
    const seen: string[] = [];
    let cursor: string | null = '';
    let pages = 0;
    while (cursor !== null) {
      const query: string = cursor === '' ? '' : `&cursor=${cursor}`;
      const res = await fetch(`${server.url}/api/tasks?limit=1000${query}`, { headers: auth });
      const text = await res.text();
      expect(res.status).toBe(200);
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(ANSWER_CAP);
      const tasks = JSON.parse(text) as { task_id: string; params: { blob: string } }[];
      for (const task of tasks) {
        expect(task.params.blob.length).toBe(16 * 1024 - 20);
        seen.push(task.task_id);
      }
      pages++;
      cursor = res.headers.get('x-nexus-next');
    }
    expect(seen).toEqual(Array.from({ length: TASKS }, (_, i) => `bulk-${TASKS - i}`));
    expect(pages).toBe(2);
    const bad = await fetch(`${server.url}/api/tasks?cursor=abc`, { headers: auth });
    expect(bad.status).toBe(400);
  });

  it('eight large answers to readers that do not read cost the server little memory', async () => {
    const baseline = await settledMemory();
    const paths = Array.from({ length: 8 }, (_, i) =>
      i % 2 ? '/api/tasks?limit=1000' : '/api/channels/big/history?since=0&limit=1000',
    );
    const responses = await Promise.all(paths.map((path) => openPaused(server, path, auth)));
    await sleep(500);
    const grown = memoryNow() - baseline;
    // Built whole, these answers would be 8 × 8 MiB of text plus their objects.
    expect(grown, `memory grew by ${(grown / MB).toFixed(1)} MB`).toBeLessThan(24 * MB);
    const sizes = await Promise.all(responses.map(readAll));
    for (const size of sizes) {
      expect(size).toBeGreaterThan(4 * MB);
      expect(size).toBeLessThanOrEqual(ANSWER_CAP);
    }
  });
});

/** Starts a GET and leaves its body unread. */
function openPaused(server: TestServer, path: string, headers: Record<string, string>): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${server.url}${path}`, { headers }, (res) => {
      res.pause();
      resolve(res);
    });
    req.on('error', reject);
    req.end();
  });
}

async function readAll(res: IncomingMessage): Promise<number> {
  let bytes = 0;
  for await (const chunk of res) bytes += (chunk as Buffer).length;
  return bytes;
}
