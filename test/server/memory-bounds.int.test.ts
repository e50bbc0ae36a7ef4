/**
 * Memory bounds hold in real bytes, whatever the payload's shape: history and task params are
 * kept as the bytes that came in, so a payload whose parsed form costs twenty times its JSON (a
 * megabyte of `[{},{},…]`) costs the server its bytes, not its object graph. Each case runs beside
 * a bystander that publishes to itself every 100 ms and must keep being served.
 *
 * Memory is heapUsed + external of this process (server and clients share it) after a forced GC.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MB, canForceGc, settledMemory } from '../helpers/memory.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { tokenFor } from '../helpers/tokens.js';
import { TestClient } from '../helpers/ws-client.js';
import { fastPolicyFile } from '../helpers/policy-file.js';

/** About `bytes` of JSON whose parsed form is a huge number of tiny objects. */
function emptyObjects(bytes: number): string {
  return `[${'{},'.repeat(Math.floor(bytes / 3) - 1)}{}]`;
}

/** A client that publishes to its own channel every 100 ms and records each round trip. */
class Bystander {
  readonly roundTripsMs: number[] = [];
  #timer: NodeJS.Timeout | undefined;
  #busy = false;

  private constructor(readonly client: TestClient) {}

  static async start(server: TestServer): Promise<Bystander> {
    const client = await TestClient.connect(server.wsUrl, await tokenFor('bystander', 'operator'));
    await client.subscribe('bystander.own');
    const bystander = new Bystander(client);
    bystander.#timer = setInterval(() => void bystander.#probe(), 100);
    return bystander;
  }

  async #probe(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    const started = performance.now();
    const seen = this.client.next((f) => f.type === 'message' && f.channel === 'bystander.own', 20_000);
    this.client.send({ action: 'publish', channel: 'bystander.own', payload: { at: started } });
    await seen;
    this.roundTripsMs.push(performance.now() - started);
    this.#busy = false;
  }

  /** Stops probing; proves the connection still answers. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.client.assertAlive();
    await this.client.close();
  }
}

/** Sends raw publish frames one after the other, each waiting for its ack. */
async function publishAll(client: TestClient, frames: Iterable<string>): Promise<number> {
  let acked = 0;
  for (const text of frames) {
    const id = /"id":(\d+)/.exec(text)![1];
    const reply = client.next((f) => String(f.id) === id, 20_000);
    client.send(text);
    const frame = await reply;
    if (frame.type !== 'ack') throw new Error(`publish refused: ${JSON.stringify(frame)}`);
    acked++;
  }
  return acked;
}

describe('memory bounds in real bytes', () => {
  let server: TestServer | undefined;
  beforeAll(() => {
    if (!canForceGc()) throw new Error('these tests need V8 to allow --expose-gc at run time (node:v8)');
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('history of 1 MB payloads of empty objects stays within its byte budget', async () => {
    const budget = 16 * MB;
    server = await startServer({ env: { NEXUS_HISTORY_MAX_BYTES: String(budget), NEXUS_POLICY: fastPolicyFile() } });
    const baseline = await settledMemory();
    const bystander = await Bystander.start(server);
    const attacker = await TestClient.connect(server.wsUrl, await tokenFor('heap-shaper', 'operator'));
    const payload = emptyObjects(1_000_000);
    const frames = function* () {
      for (let i = 1; i <= 48; i++) yield `{"action":"publish","channel":"heap.${i}","id":${i},"payload":${payload}}`;
    };
    expect(await publishAll(attacker, frames())).toBe(48);
    await attacker.close();
    const grown = (await settledMemory()) - baseline;
    // Parsed, the kept part of this history alone would be about 16 × 20 MB.
    expect(grown, `memory grew by ${(grown / MB).toFixed(1)} MB`).toBeLessThan(1.5 * budget + 16 * MB);
    await bystander.stop();
    expect(bystander.roundTripsMs.length).toBeGreaterThan(5);
  }, 60_000);

  it('plain 1 MB payloads to ever new channels stay within the byte budget', async () => {
    const budget = 16 * MB;
    server = await startServer({ env: { NEXUS_HISTORY_MAX_BYTES: String(budget), NEXUS_POLICY: fastPolicyFile() } });
    const baseline = await settledMemory();
    const bystander = await Bystander.start(server);
    const attacker = await TestClient.connect(server.wsUrl, await tokenFor('big-writer', 'operator'));
    const payload = JSON.stringify('x'.repeat(1_000_000));
    const frames = function* () {
      for (let i = 1; i <= 48; i++) yield `{"action":"publish","channel":"big.${i}","id":${i},"payload":${payload}}`;
    };
    expect(await publishAll(attacker, frames())).toBe(48);
    await attacker.close();
    const grown = (await settledMemory()) - baseline;
    expect(grown, `memory grew by ${(grown / MB).toFixed(1)} MB`).toBeLessThan(1.5 * budget + 16 * MB);
    await bystander.stop();
  }, 60_000);

  it('task params of empty objects are kept as their 16 KiB of text', async () => {
    const historyBudget = 8 * MB;
    server = await startServer({
      env: { NEXUS_HISTORY_MAX_BYTES: String(historyBudget), NEXUS_POLICY: fastPolicyFile() },
    });
    const baseline = await settledMemory();
    const bystander = await Bystander.start(server);
    const operator = await TestClient.connect(server.wsUrl, await tokenFor('task-shaper', 'operator'));
    const params = `{"l":${emptyObjects(16 * 1024 - 10)}}`;
    expect(params.length).toBeLessThanOrEqual(16 * 1024);
    const tasks = 1000;
    const frames = function* () {
      for (let i = 1; i <= tasks; i++) {
        const command = `{"command":"execute_task","task_id":"shape-${i}","params":${params}}`;
        yield `{"action":"publish","channel":"commands","id":${i},"payload":${command}}`;
      }
    };
    expect(await publishAll(operator, frames())).toBe(tasks);
    await operator.close();
    const grown = (await settledMemory()) - baseline;
    // 1,000 × 16 KiB of text plus the history budget; parsed, the params alone would be ~350 MB.
    const keptParams = tasks * 16 * 1024;
    expect(grown, `memory grew by ${(grown / MB).toFixed(1)} MB`).toBeLessThan(
      1.5 * (keptParams + historyBudget) + 16 * MB,
    );
    const listed = (await (
      await fetch(`${server.url}/api/tasks?limit=2`, {
        headers: { authorization: `Bearer ${await tokenFor('reader', 'viewer')}` },
      })
    ).json()) as { task_id: string; params: { l: unknown[] } }[];
    expect(listed.map((t) => t.task_id)).toEqual([`shape-${tasks}`, `shape-${tasks - 1}`]);
    expect(listed[0]!.params.l.length).toBeGreaterThan(5000);
    await bystander.stop();
  }, 90_000);

  it('frames waiting behind a replay the client does not read are bounded in bytes, not just in count', async () => {
    server = await startServer({ env: { NEXUS_HISTORY_MAX_BYTES: String(64 * MB), NEXUS_POLICY: fastPolicyFile() } });
    const writer = await TestClient.connect(server.wsUrl, await tokenFor('history-writer', 'operator'));
    const text = JSON.stringify('h'.repeat(1_000_000));
    const history = function* () {
      for (let i = 1; i <= 24; i++) yield `{"action":"publish","channel":"long","id":${i},"payload":${text}}`;
    };
    expect(await publishAll(writer, history())).toBe(24);
    await writer.close();
    const bystander = await Bystander.start(server);
    const baseline = await settledMemory();
    const stuck = await TestClient.connect(server.wsUrl, await tokenFor('stuck-reader', 'operator'));
    // Stops reading: the replay of 24 MB waits for room, and the frames after it wait in the inbox.
    const raw = (stuck.socket as unknown as { _socket: { pause(): void } })._socket;
    raw.pause();
    stuck.send({ action: 'subscribe', channel: 'long', since: 0, id: 'sub' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const payload = emptyObjects(1_000_000);
    for (let i = 1; i <= 40; i++) stuck.send(`{"action":"publish","channel":"pile","id":${i},"payload":${payload}}`);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const grown = (await settledMemory()) - baseline;
    // This process also holds the client's 40 MB of unsent frames; parsed and waiting, they would be ~800 MB.
    expect(grown, `memory grew by ${(grown / MB).toFixed(1)} MB`).toBeLessThan(120 * MB);
    await bystander.stop();
    stuck.socket.terminate();
  }, 60_000);
});
