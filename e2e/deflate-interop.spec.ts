/**
 * permessage-deflate in a real browser: Chromium offers the extension, the server answers with
 * no server context takeover and sends large messages compressed once per fan-out. Every
 * message — small ones sent plain, ones of 1 KiB and more compressed, multi-byte UTF-8 across
 * the board — must arrive in the page exactly as published, and fewer bytes must cross the wire
 * than the messages hold.
 */
import { expect, test } from '@playwright/test';
import { startNexus, type NexusProcess } from './helpers/nexus-process.js';

const CHANNEL = 'deflate.interop';

let server: NexusProcess;

async function devToken(userId: string, role: string): Promise<string> {
  const res = await fetch(`${server.url}/api/dev/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId, role }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { token: string }).token;
}

async function bytesOut(): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(/^nexus_bytes_out_total(?:\{[^}]*\})? (\S+)$/m.exec(text)?.[1] ?? NaN);
}

/** Telemetry-like JSON of about `bytes`, with multi-byte characters (2, 3 and 4 bytes in UTF-8). */
function payload(bytes: number, seed: number): Record<string, unknown> {
  const rows: unknown[] = [];
  for (let i = 0; JSON.stringify(rows).length < bytes; i++)
    rows.push({ agent_id: `agent-${(seed + i) % 9}`, cpu: (seed * 17 + i * 7) % 100, note: 'héllo — 漢字 🚀 ñ' });
  return { seed, rows };
}

test.beforeAll(async () => {
  server = await startNexus(0, { NEXUS_MOCK_AGENTS: '0', NEXUS_DEFLATE: 'on', NEXUS_JWT_SECRET: '' });
});
test.afterAll(async () => {
  expect(await server.stop()).toBe(0);
});

test('Chromium decodes every message, plain and compressed, byte for byte', async ({ page }) => {
  const viewer = await devToken('e2e-deflate-viewer', 'viewer');
  const operator = await devToken('e2e-deflate-operator', 'operator');
  const sent = [
    { text: 'small' },
    { text: 'é漢🚀'.repeat(60) },
    payload(1100, 1),
    payload(4000, 2),
    { text: 'between' },
    payload(20_000, 3),
    payload(200_000, 4),
    { text: '🚀'.repeat(400) },
  ];
  await page.goto(`${server.url}/healthz`);
  const extensions = await page.evaluate(
    ({ url, channel }) =>
      new Promise<string>((resolve, reject) => {
        const socket = new WebSocket(url);
        (window as unknown as { received: string[] }).received = [];
        socket.onerror = () => reject(new Error('WebSocket error'));
        socket.onmessage = (event: MessageEvent<string>) => {
          const frame = JSON.parse(event.data) as { type: string };
          if (frame.type === 'connected') socket.send(JSON.stringify({ action: 'subscribe', channel, id: 1 }));
          else if (frame.type === 'subscribed') resolve(socket.extensions);
          else if (frame.type === 'broadcast' || frame.type === 'message')
            (window as unknown as { received: string[] }).received.push(event.data);
        };
      }),
    { url: `${server.url.replace(/^http/, 'ws')}/ws?token=${encodeURIComponent(viewer)}`, channel: CHANNEL },
  );
  expect(extensions).toContain('permessage-deflate');
  expect(extensions).toContain('server_no_context_takeover');

  const before = await bytesOut();
  for (const data of sent) {
    const res = await fetch(`${server.url}/api/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${operator}` },
      body: JSON.stringify({ channel: CHANNEL, payload: data }),
    });
    expect(res.status, await res.clone().text()).toBe(202);
  }
  await expect
    .poll(() => page.evaluate(() => (window as unknown as { received: string[] }).received.length))
    .toBe(sent.length);
  const received = await page.evaluate(() => (window as unknown as { received: string[] }).received);
  received.forEach((text, i) => {
    // The payload's JSON, exactly as published, inside the frame the page decoded.
    expect(text.includes(`"data":${JSON.stringify(sent[i])}`), `message ${i}`).toBe(true);
    expect((JSON.parse(text) as { data: unknown }).data).toEqual(sent[i]);
  });
  const published = sent.reduce((sum, data) => sum + Buffer.byteLength(JSON.stringify(data)), 0);
  expect(await bytesOut()).toBeLessThan(before + published / 2);
});
