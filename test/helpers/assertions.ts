/**
 * Small helpers shared by the integration tests: unique channel names, waiting on a TestClient's
 * whole frame history (not only past its `next` cursor), and JSON REST calls.
 */
import type { ClientOptions } from 'ws';
import { TestClient, type Frame } from './ws-client.js';

let channelCounter = 0;

/** A channel name no other test of the process uses (valid per ^[A-Za-z0-9_.:-]{1,128}$). */
export function uniqueChannel(prefix = 'ch'): string {
  channelCounter += 1;
  return `${prefix}.${process.pid}.${channelCounter}.${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * Resolves with the first frame, at index `from` or later in `client.frames`, that matches;
 * frames already received count. Unlike `TestClient.next`, this does not move any cursor, so a
 * test can wait for a marker and then inspect everything received before it.
 */
export function waitForFrame(
  client: TestClient,
  predicate: (frame: Frame) => boolean,
  { from = 0, timeoutMs = 3000 }: { from?: number; timeoutMs?: number } = {},
): Promise<Frame> {
  const found = client.frames.slice(from).find(predicate);
  if (found) return Promise.resolve(found);
  return new Promise((resolve, reject) => {
    const onMessage = () => {
      const match = client.frames.slice(from).find(predicate);
      if (match) {
        cleanup();
        resolve(match);
      }
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new Error(`no matching frame within ${timeoutMs} ms; last frames: ${JSON.stringify(client.frames.slice(-6))}`),
      );
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      client.socket.off('message', onMessage);
    };
    // TestClient registered its own listener first, so `frames` already holds the new frame.
    client.socket.on('message', onMessage);
  });
}

/** Delivery frames (`message` and `broadcast`) received so far on `channel`. */
export function deliveries(client: TestClient, channel: string): Frame[] {
  return client.frames.filter((f) => (f.type === 'message' || f.type === 'broadcast') && f.channel === channel);
}

/** The `data` of every delivery received so far on `channel`. */
export function deliveredData(client: TestClient, channel: string): unknown[] {
  return deliveries(client, channel).map((f) => f.data);
}

/** Waits for the delivery on `channel` whose data has `marker: marker`. */
export function waitForMarker(client: TestClient, channel: string, marker: string, timeoutMs = 3000): Promise<Frame> {
  return waitForFrame(
    client,
    (f) =>
      (f.type === 'message' || f.type === 'broadcast') &&
      f.channel === channel &&
      typeof f.data === 'object' &&
      f.data !== null &&
      (f.data as Record<string, unknown>).marker === marker,
    { timeoutMs },
  );
}

export interface JsonResponse {
  readonly status: number;
  readonly body: unknown;
  readonly headers: Headers;
}

/** A REST call with an optional bearer token and JSON body; the body is parsed when it is JSON. */
export async function restJson(
  baseUrl: string,
  path: string,
  {
    method = 'GET',
    token,
    body,
    headers = {},
  }: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<JsonResponse> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body: parsed, headers: response.headers };
}

/** ISO-8601 date-time with a time zone (as produced by `Date.prototype.toISOString`). */
export const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** Closes every client given, ignoring ones already closed. */
export async function closeAll(clients: Iterable<TestClient>): Promise<void> {
  await Promise.all([...clients].map((c) => c.close()));
}

/**
 * Tracks the clients a test file opens so `afterEach` can close them all:
 * `const pool = clientPool(); afterEach(() => pool.closeAll());`
 */
export function clientPool() {
  const open: TestClient[] = [];
  return {
    async connect(url: string, token?: string, options: ClientOptions = {}): Promise<TestClient> {
      const client = await TestClient.connect(url, token, options);
      open.push(client);
      return client;
    },
    /** Registers a client opened elsewhere. */
    track(client: TestClient): TestClient {
      open.push(client);
      return client;
    },
    closeAll(): Promise<void> {
      return closeAll(open.splice(0));
    },
  };
}
