/**
 * Lower-level helpers for abuse, limit and reliability tests: raw TCP exchanges, a subscriber
 * that keeps no payloads (for large-volume tests), a "does the server still serve?" probe and a
 * Prometheus text reader.
 */
import { connect } from 'node:net';
import WebSocket from 'ws';
import type { NexusServer } from '../../src/server/server.js';
import { tokenFor } from './tokens.js';
import { TestClient } from './ws-client.js';

export interface RawExchange {
  /** Everything the server wrote, as latin1 text. */
  readonly text: string;
  /** True when the server closed (or reset) the connection before the timeout. */
  readonly closedByServer: boolean;
}

/**
 * Opens a TCP connection to 127.0.0.1:port, writes `data` (if the server has not closed first),
 * and collects the answer until the server closes or `timeoutMs` passes.
 */
export function rawExchange(port: number, data: string | Buffer, timeoutMs = 3000): Promise<RawExchange> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: '127.0.0.1', port });
    let done = false;
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closedByServer });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('connect', () => socket.write(data));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
  });
}

/** The status code of the first HTTP status line in `text`, or undefined. */
export function httpStatusOf(text: string): number | undefined {
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  return match ? Number(match[1]) : undefined;
}

let probeCounter = 0;

/**
 * Proves a server still serves: a fresh viewer subscribes to a fresh channel, a fresh operator
 * publishes there, the viewer receives exactly that message. Both clients are closed afterwards.
 */
export async function expectServerServes(server: Pick<NexusServer, 'wsUrl'>): Promise<void> {
  const channel = `probe.${process.pid}.${++probeCounter}.${Date.now()}`;
  const viewer = await TestClient.connect(server.wsUrl, await tokenFor(`probe-viewer-${probeCounter}`));
  const operator = await TestClient.connect(server.wsUrl, await tokenFor(`probe-op-${probeCounter}`, 'operator'));
  try {
    const subscribed = await viewer.subscribe(channel);
    if (subscribed.type !== 'subscribed') throw new Error(`probe subscribe failed: ${JSON.stringify(subscribed)}`);
    const payload = { probe: probeCounter, nonce: Math.random() };
    const ack = await operator.publish(channel, payload);
    if (ack.type !== 'ack') throw new Error(`probe publish failed: ${JSON.stringify(ack)}`);
    const message = await viewer.next((f) => f.type === 'message' && f.channel === channel);
    if (JSON.stringify(message.data) !== JSON.stringify(payload)) {
      throw new Error(`probe got the wrong message: ${JSON.stringify(message)}`);
    }
  } finally {
    await Promise.all([viewer.close(), operator.close()]);
  }
}

/**
 * A subscriber for high-volume tests: it parses each frame only to read its type and seq, and
 * keeps no payloads, so its own memory does not hide (or fake) the server's.
 */
export class LeanSubscriber {
  readonly seqs: number[] = [];
  readonly errors: string[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #subscribed: ((seq: number) => void) | undefined;
  #waiters: { count: number; resolve: () => void }[] = [];

  private constructor(readonly socket: WebSocket) {
    this.closed = new Promise((resolve) =>
      socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    socket.on('error', () => {});
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as { type: string; seq?: number; code?: string };
      if (frame.type === 'message' || frame.type === 'broadcast') {
        this.seqs.push(frame.seq ?? -1);
        this.#waiters = this.#waiters.filter((w) => (this.seqs.length >= w.count ? (w.resolve(), false) : true));
      } else if (frame.type === 'subscribed') {
        this.#subscribed?.(frame.seq ?? 0);
      } else if (frame.type === 'error') {
        this.errors.push(frame.code ?? 'unknown');
      }
    });
  }

  static async connect(url: string, token: string, options: WebSocket.ClientOptions = {}): Promise<LeanSubscriber> {
    const socket = new WebSocket(`${url}?token=${encodeURIComponent(token)}`, options);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new LeanSubscriber(socket);
  }

  /** Subscribes and resolves with the channel's seq at subscribe time. */
  subscribe(channel: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no subscribed reply for ${channel}`)), 5000);
      this.#subscribed = (seq) => {
        clearTimeout(timer);
        resolve(seq);
      };
      this.socket.send(JSON.stringify({ action: 'subscribe', channel }));
    });
  }

  /** Resolves when `count` deliveries have arrived; rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs: number): Promise<void> {
    if (this.seqs.length >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`got ${this.seqs.length} of ${count} deliveries`)), timeoutMs);
      this.#waiters.push({
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  close(): Promise<{ code: number; reason: string }> {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING)
      this.socket.close();
    return this.closed;
  }
}

/**
 * Sum of the samples of metric `name` in Prometheus text, optionally only those whose label set
 * contains `labels` (e.g. `reason="slow_consumer"`). Undefined when no sample matched.
 */
export function metricValue(text: string, name: string, labels?: string): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    if (labels !== undefined && !(match[2] ?? '').includes(labels)) continue;
    sum = (sum ?? 0) + Number(match[3]);
  }
  return sum;
}

/** GET /metrics as text. */
export async function scrapeMetrics(server: Pick<NexusServer, 'url'>): Promise<string> {
  const response = await fetch(`${server.url}/metrics`);
  return response.text();
}

/** Polls `check` every `intervalMs` until it returns true or `timeoutMs` passes; returns the last result. */
export async function pollUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  intervalMs = 20,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
