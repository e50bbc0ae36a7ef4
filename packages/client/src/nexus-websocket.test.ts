/**
 * Unit tests of the NexusWebSocket state machine: an in-memory WebSocket that the test drives
 * (open it, deliver frames, close it with a code, refuse the upgrade), fake timers, an injected
 * `random` and an injected network monitor.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CloseCode, isRetryableClose, needsNewToken } from './protocol/index.js';
import type { ClientEvents, ConnectionState, PublishResult, StateChange } from './events.js';
import {
  NexusWebSocket,
  type NetworkMonitor,
  type NexusWebSocketOptions,
  type WebSocketLike,
} from './nexus-websocket.js';
import type { TokenProvider } from './token.js';

type Sent = Record<string, unknown> & { action: string };

/** A minimal in-memory WebSocket: the client sees the WebSocketLike interface, the test drives it. */
class FakeSocket implements WebSocketLike {
  static instances: FakeSocket[] = [];
  readyState = 0;
  readonly sent: Sent[] = [];
  closedByClient: { code: number | undefined; reason: string | undefined } | undefined;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: { message?: string }) => void) | null = null;

  constructor(readonly url: string) {
    FakeSocket.instances.push(this);
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('send() on a socket that is not open');
    this.sent.push(JSON.parse(data) as Sent);
  }

  close(code?: number, reason?: string): void {
    this.closedByClient = { code, reason };
    this.readyState = 3;
  }

  // ---- driven by the test ----

  get token(): string | null {
    return new URL(this.url).searchParams.get('token');
  }

  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  /** Opens the socket and sends the server's `connected` frame. */
  welcome(): void {
    this.open();
    this.deliver({
      type: 'connected',
      message: 'Welcome to Nexus WebSocket',
      userId: 'u1',
      role: 'operator',
      connectionId: `conn-${FakeSocket.instances.indexOf(this)}`,
      heartbeatMs: 30_000,
    });
  }

  deliver(frame: object): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }

  serverClose(code: number, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }

  /** What `ws` does when the upgrade answers with an HTTP error status. */
  refuseUpgrade(status: number): void {
    this.onerror?.({ message: `Unexpected server response: ${status}` });
    this.readyState = 3;
    this.onclose?.({ code: CloseCode.Abnormal, reason: '' });
  }

  actions(action: string): Sent[] {
    return this.sent.filter((frame) => frame.action === action);
  }

  /** Frames other than the client's sync pings. */
  get frames(): Sent[] {
    return this.sent.filter((frame) => !(frame.action === 'ping' && String(frame.id).startsWith('sync')));
  }

  /**
   * Answers the ping the client sends after resubscribing: the server handles frames in order,
   * so its pong follows every replay, and the client releases what it held in seq order.
   */
  answerSync(): void {
    const ping = this.sent.filter((frame) => frame.action === 'ping' && String(frame.id).startsWith('sync')).at(-1);
    if (!ping) throw new Error('the client sent no sync ping');
    this.deliver({ type: 'pong', id: ping.id, timestamp: Date.now() });
  }
}

class FakeNetwork implements NetworkMonitor {
  online = true;
  readonly listeners = new Set<() => void>();
  isOnline(): boolean {
    return this.online;
  }
  onOnline(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  goOnline(): void {
    this.online = true;
    for (const listener of [...this.listeners]) listener();
  }
}

const URL_BASE = 'ws://nexus.test/ws';
const clients: NexusWebSocket[] = [];

/** Lets the client's promise chains (token provider, etc.) run. */
async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

async function advance(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
  await flush();
}

function sockets(): FakeSocket[] {
  return FakeSocket.instances;
}

function lastSocket(): FakeSocket {
  const socket = FakeSocket.instances.at(-1);
  if (!socket) throw new Error('no socket was created');
  return socket;
}

function harness(token: TokenProvider = 'tok', options: NexusWebSocketOptions = {}) {
  const client = new NexusWebSocket(URL_BASE, token, { WebSocket: FakeSocket, random: () => 0.5, ...options });
  clients.push(client);
  const record = <K extends keyof ClientEvents>(name: K): ClientEvents[K][] => {
    const list: ClientEvents[K][] = [];
    client.on(name, (context) => list.push(context));
    return list;
  };
  const log = {
    state: record('state'),
    connected: record('connected'),
    disconnected: record('disconnected'),
    reconnecting: record('reconnecting'),
    reconnect_failed: record('reconnect_failed'),
    error: record('error'),
    message: record('message'),
    gap: record('gap'),
    queue_overflow: record('queue_overflow'),
    rtt: record('rtt'),
  };
  return { client, log };
}

/** connect() and welcome the first socket. */
async function openClient(client: NexusWebSocket): Promise<FakeSocket> {
  client.connect();
  await flush();
  const socket = lastSocket();
  socket.welcome();
  expect(client.state).toBe('open');
  return socket;
}

/** Waits out the scheduled reconnect delay and returns the new socket. */
async function nextSocket(log: ReturnType<typeof harness>['log']): Promise<FakeSocket> {
  const count = sockets().length;
  const scheduled = log.reconnecting.at(-1);
  if (!scheduled) throw new Error('no reconnect is scheduled');
  await advance(scheduled.delayMs);
  expect(sockets()).toHaveLength(count + 1);
  return lastSocket();
}

function subscribedReply(request: Sent, seq: number, epoch: string, recovered?: boolean): object {
  return {
    type: 'subscribed',
    id: request.id,
    channel: request.channel,
    ...(request.filters ? { filters: request.filters } : {}),
    seq,
    epoch,
    ...(recovered === undefined ? {} : { recovered }),
  };
}

function delivery(channel: string, seq: number, epoch: string, data: unknown = { seq }): object {
  return { type: 'message', channel, from: 'someone', data, timestamp: new Date().toISOString(), seq, epoch };
}

function transitions(states: readonly StateChange[]): string[] {
  return states.map((s) => `${s.previous}>${s.next}`);
}

beforeEach(() => {
  vi.useFakeTimers();
  FakeSocket.instances = [];
});

afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
  vi.useRealTimers();
});

describe('close-code decisions (isRetryableClose)', () => {
  it.each([1000, 1001, 1006, 1011, 1012, 1013, 4008])('%i is retryable', (code) => {
    expect(isRetryableClose(code)).toBe(true);
    expect(needsNewToken(code)).toBe(false);
  });

  it.each([1007, 1008, 1009, 4003])('%i is terminal', (code) => {
    expect(isRetryableClose(code)).toBe(false);
    expect(needsNewToken(code)).toBe(false);
  });

  it('4001 is not retryable as such: only with a new token', () => {
    expect(isRetryableClose(4001)).toBe(false);
    expect(needsNewToken(4001)).toBe(true);
  });
});

describe('state machine', () => {
  it('walks idle → connecting → open → reconnecting → connecting → reconnecting → connecting → open → closed → connecting → failed → connecting, with previous/next/reason', async () => {
    const { client, log } = harness('tok', { initialDelayMs: 100 });
    expect(client.state).toBe('idle');
    const first = await openClient(client);
    expect(first.url).toBe(`${URL_BASE}?token=tok`);
    first.serverClose(1006);
    expect(client.state).toBe('reconnecting');
    const second = await nextSocket(log);
    expect(client.state).toBe('connecting');
    second.serverClose(1006); // fails before the welcome (server still down)
    expect(client.state).toBe('reconnecting');
    const third = await nextSocket(log);
    third.welcome();
    expect(client.state).toBe('open');
    client.disconnect();
    expect(client.state).toBe('closed');
    client.connect();
    await flush();
    expect(client.state).toBe('connecting');
    lastSocket().refuseUpgrade(401); // a string token cannot be renewed
    expect(client.state).toBe('failed');
    client.connect();
    await flush();
    expect(client.state).toBe('connecting');

    expect(transitions(log.state)).toEqual([
      'idle>connecting',
      'connecting>open',
      'open>reconnecting',
      'reconnecting>connecting',
      'connecting>reconnecting',
      'reconnecting>connecting',
      'connecting>open',
      'open>closed',
      'closed>connecting',
      'connecting>failed',
      'failed>connecting',
    ]);
    for (const change of log.state) expect(change.reason).toMatch(/\S/);
    expect(log.state[2]!.reason).toContain('1006');
    expect(log.state[7]!.reason).toContain('disconnect');
    expect(log.state[9]!.reason).toContain('401');
    expect(log.connected).toHaveLength(2);
    expect(log.connected[0]).toEqual({ connectionId: 'conn-0', userId: 'u1', role: 'operator', heartbeatMs: 30_000 });
  });

  it('keeps the query string of the URL and encodes the token', async () => {
    const client = new NexusWebSocket('ws://nexus.test/ws?x=1', 'a b&c', { WebSocket: FakeSocket });
    clients.push(client);
    client.connect();
    await flush();
    expect(lastSocket().url).toBe('ws://nexus.test/ws?x=1&token=a%20b%26c');
    expect(lastSocket().token).toBe('a b&c');
  });

  it('opens only on the server welcome, not on the socket open event', async () => {
    const { client } = harness();
    client.connect();
    await flush();
    lastSocket().open();
    expect(client.state).toBe('connecting');
    lastSocket().deliver({
      type: 'connected',
      message: 'x',
      userId: 'u',
      role: 'viewer',
      connectionId: 'c',
      heartbeatMs: 1,
    });
    expect(client.state).toBe('open');
  });

  it('connect() while connecting, open or reconnecting creates no second socket', async () => {
    const { client, log } = harness();
    client.connect();
    client.connect();
    await flush();
    expect(sockets()).toHaveLength(1);
    lastSocket().welcome();
    client.connect();
    await flush();
    expect(sockets()).toHaveLength(1);
    lastSocket().serverClose(1006);
    client.connect();
    await flush();
    expect(sockets()).toHaveLength(1);
    expect(client.state).toBe('reconnecting');
    await nextSocket(log);
  });

  it.each([1001, 1006, 1011, 1012, 1013, 4008])(
    'open → reconnecting → connecting → open after close %i',
    async (code) => {
      const { client, log } = harness();
      const first = await openClient(client);
      first.serverClose(code, 'bye');
      expect(log.disconnected).toEqual([{ code, reason: 'bye', willReconnect: true }]);
      expect(client.state).toBe('reconnecting');
      expect(log.reconnecting).toHaveLength(1);
      const second = await nextSocket(log);
      second.welcome();
      expect(client.state).toBe('open');
      expect(log.reconnect_failed).toEqual([]);
    },
  );

  it.each([
    [1008, 'string'],
    [1008, 'provider'],
    [4003, 'string'],
    [4003, 'provider'],
    [1009, 'string'],
    [1009, 'provider'],
    [1007, 'provider'],
  ])('open → failed on close %i (%s token), no reconnect ever', async (code, kind) => {
    let n = 0;
    const token: TokenProvider = kind === 'string' ? 'tok' : () => `tok-${++n}`;
    const { client, log } = harness(token);
    const first = await openClient(client);
    first.serverClose(code);
    expect(client.state).toBe('failed');
    expect(log.disconnected).toEqual([{ code, reason: '', willReconnect: false }]);
    expect(log.reconnecting).toEqual([]);
    expect(log.reconnect_failed).toHaveLength(1);
    expect(log.state.at(-1)).toMatchObject({ previous: 'open', next: 'failed' });
    expect(log.state.at(-1)!.reason).toContain(String(code));
    await advance(10 * 60_000);
    expect(sockets()).toHaveLength(1);
    expect(client.state).toBe('failed');
  });

  it('a terminal close before the welcome also fails', async () => {
    const { client, log } = harness();
    client.connect();
    await flush();
    lastSocket().serverClose(1008);
    expect(client.state).toBe('failed');
    expect(log.disconnected).toEqual([]); // never was open
    await advance(60_000);
    expect(sockets()).toHaveLength(1);
  });

  it('connect timeout: no welcome within connectTimeoutMs abandons the socket and reconnects', async () => {
    const { client, log } = harness('tok', { connectTimeoutMs: 2000 });
    client.connect();
    await flush();
    const first = lastSocket();
    first.open();
    await advance(1999);
    expect(client.state).toBe('connecting');
    await advance(1);
    expect(client.state).toBe('reconnecting');
    expect(first.closedByClient).toBeDefined();
    const second = await nextSocket(log);
    second.welcome();
    expect(client.state).toBe('open');
  });
});

describe('tokens: 4001 and refused upgrades', () => {
  it('4001 with a string token → failed (the token cannot be renewed)', async () => {
    const { client, log } = harness('tok');
    const first = await openClient(client);
    first.serverClose(4001, 'token expired');
    expect(client.state).toBe('failed');
    expect(log.disconnected).toEqual([{ code: 4001, reason: 'token expired', willReconnect: false }]);
    expect(log.reconnect_failed).toHaveLength(1);
    await advance(10 * 60_000);
    expect(sockets()).toHaveLength(1);
  });

  it('4001 with a provider returning a new token → reconnects with the new token in the URL', async () => {
    const tokens = ['first', 'second'];
    const provider = vi.fn(() => tokens.shift() ?? 'exhausted');
    const { client, log } = harness(provider);
    const first = await openClient(client);
    expect(first.token).toBe('first');
    first.serverClose(4001, 'token expired');
    expect(log.disconnected).toEqual([{ code: 4001, reason: 'token expired', willReconnect: true }]);
    expect(client.state).toBe('reconnecting');
    const second = await nextSocket(log);
    expect(second.token).toBe('second');
    second.welcome();
    expect(client.state).toBe('open');
    expect(provider).toHaveBeenCalledTimes(2);
  });

  it('4001 with a provider returning the same token → failed, no socket with the refused token', async () => {
    const provider = vi.fn(async () => 'same');
    const { client, log } = harness(provider);
    const first = await openClient(client);
    first.serverClose(4001);
    await advance(log.reconnecting.at(-1)!.delayMs);
    expect(client.state).toBe('failed');
    expect(sockets()).toHaveLength(1);
    expect(provider).toHaveBeenCalledTimes(2);
    expect(log.reconnect_failed).toHaveLength(1);
    await advance(10 * 60_000);
    expect(sockets()).toHaveLength(1);
    expect(provider).toHaveBeenCalledTimes(2);
  });

  it.each([401, 403])(
    'upgrade refused with %i, the provider returning the same token → failed, no further socket',
    async (status) => {
      const provider = vi.fn(() => 'same');
      const { client, log } = harness(provider);
      client.connect();
      await flush();
      lastSocket().refuseUpgrade(status);
      expect(client.state).toBe('reconnecting');
      await advance(log.reconnecting.at(-1)!.delayMs);
      expect(client.state).toBe('failed');
      expect(sockets()).toHaveLength(1);
      expect(provider).toHaveBeenCalledTimes(2);
      expect(log.reconnect_failed).toHaveLength(1);
      expect(log.state.at(-1)).toMatchObject({ previous: 'connecting', next: 'failed' });
      await advance(10 * 60_000);
      expect(sockets()).toHaveLength(1);
      expect(provider).toHaveBeenCalledTimes(2);
    },
  );

  it.each([401, 403])('upgrade refused with %i and a string token → failed at once', async (status) => {
    const { client, log } = harness('tok');
    client.connect();
    await flush();
    lastSocket().refuseUpgrade(status);
    expect(client.state).toBe('failed');
    expect(log.reconnecting).toEqual([]);
    expect(log.state.at(-1)!.reason).toContain(String(status));
    await advance(10 * 60_000);
    expect(sockets()).toHaveLength(1);
  });

  it('upgrade refused with 403, the provider returning a different token → retries with it and opens', async () => {
    const tokens = ['stale', 'fresh'];
    const { client, log } = harness(() => tokens.shift() ?? 'none');
    client.connect();
    await flush();
    expect(lastSocket().token).toBe('stale');
    lastSocket().refuseUpgrade(403);
    const second = await nextSocket(log);
    expect(second.token).toBe('fresh');
    second.welcome();
    expect(client.state).toBe('open');
  });

  it('queued publishes and pending subscribes settle when a refused token ends in failed', async () => {
    const { client } = harness('tok');
    const published = client.publish('alpha', 1);
    const subscribed = client.subscribe('alpha');
    client.connect();
    await flush();
    lastSocket().refuseUpgrade(401);
    await expect(published).resolves.toMatchObject({ ok: false, code: 'auth_refused' });
    await expect(subscribed).resolves.toMatchObject({ ok: false, code: 'auth_refused' });
  });

  it('the token provider is asked before every connect', async () => {
    let n = 0;
    const provider = vi.fn(async () => `t${++n}`);
    const { client, log } = harness(provider);
    const first = await openClient(client);
    expect(first.token).toBe('t1');
    first.serverClose(1006);
    const second = await nextSocket(log);
    expect(second.token).toBe('t2');
    second.serverClose(1006);
    const third = await nextSocket(log);
    expect(third.token).toBe('t3');
    expect(provider).toHaveBeenCalledTimes(3);
  });

  it('a failing token provider reports an error and retries with backoff', async () => {
    let calls = 0;
    const provider = vi.fn(async () => {
      calls++;
      if (calls === 1) throw new Error('vault unreachable');
      return 'ok-token';
    });
    const { client, log } = harness(provider);
    client.connect();
    await flush();
    expect(sockets()).toHaveLength(0);
    expect(client.state).toBe('reconnecting');
    expect(log.error.at(-1)!.message).toContain('vault unreachable');
    const socket = await nextSocket(log);
    expect(socket.token).toBe('ok-token');
  });

  it('refreshes a token in band shortly before its exp, with the provider, and again after refreshed', async () => {
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
    const nowSeconds = Date.now() / 1000;
    const [first, second, third] = [fakeJwt(nowSeconds + 60), fakeJwt(nowSeconds + 120), fakeJwt(nowSeconds + 180)];
    const tokens = [first, second, third];
    const provider = vi.fn(() => tokens.shift() ?? 'none');
    const { client } = harness(provider, { refreshMarginMs: 10_000, pingIntervalMs: 10 * 60_000 });
    const socket = await openClient(client);
    expect(socket.token).toBe(first);
    await advance(49_999);
    expect(socket.actions('refresh')).toEqual([]);
    await advance(1);
    expect(socket.actions('refresh')).toHaveLength(1);
    const refresh = socket.actions('refresh')[0]!;
    expect(refresh.token).toBe(second);
    socket.deliver({ type: 'refreshed', id: refresh.id, exp: nowSeconds + 120 });
    // The next refresh is 10 s before the second token's exp: at 110 s.
    await advance(59_999);
    expect(socket.actions('refresh')).toHaveLength(1);
    await advance(1);
    expect(socket.actions('refresh').map((f) => f.token)).toEqual([second, third]);
    expect(client.state).toBe('open');
    expect(sockets()).toHaveLength(1);
  });

  it('never refreshes a plain string token', async () => {
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
    const { client } = harness(fakeJwt(Date.now() / 1000 + 60), { pingIntervalMs: 10 * 60_000 });
    const socket = await openClient(client);
    await advance(120_000);
    expect(socket.actions('refresh')).toEqual([]);
  });
});

describe('tokens: refresh answered with an error', () => {
  it('a refresh dropped as rate_limited is sent again after 5 s; one refused as forbidden is not', async () => {
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
    const nowSeconds = Date.now() / 1000;
    const tokens = [fakeJwt(nowSeconds + 60), fakeJwt(nowSeconds + 120), fakeJwt(nowSeconds + 180)];
    const provider = vi.fn(() => tokens.shift() ?? 'none');
    const { client } = harness(provider, { refreshMarginMs: 10_000, pingIntervalMs: 10 * 60_000 });
    const socket = await openClient(client);
    await advance(50_000);
    const [refresh] = socket.actions('refresh');
    socket.deliver({ type: 'error', id: refresh!.id, code: 'rate_limited', message: 'slow down' });
    await advance(4_999);
    expect(socket.actions('refresh')).toHaveLength(1);
    await advance(1);
    const again = socket.actions('refresh')[1]!;
    expect(again.id).not.toBe(refresh!.id);
    socket.deliver({ type: 'error', id: again.id, code: 'forbidden', message: 'refresh refused' });
    await advance(20_000);
    expect(socket.actions('refresh')).toHaveLength(2);
    expect(client.state).toBe('open');
  });
});

function fakeJwt(exp: number): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'HS256' })}.${encode({ userId: 'u1', exp, n: Math.random() })}.sig`;
}

describe('disconnect()', () => {
  const setups: [ConnectionState | 'connecting (token pending)', (h: ReturnType<typeof harness>) => Promise<void>][] = [
    ['idle', async () => {}],
    [
      'connecting (token pending)',
      async ({ client }) => {
        client.connect();
        await flush();
      },
    ],
    [
      'connecting',
      async ({ client }) => {
        client.connect();
        await flush();
      },
    ],
    [
      'open',
      async ({ client }) => {
        await openClient(client);
      },
    ],
    [
      'reconnecting',
      async ({ client }) => {
        const socket = await openClient(client);
        socket.serverClose(1006);
      },
    ],
    [
      'failed',
      async ({ client }) => {
        const socket = await openClient(client);
        socket.serverClose(1008);
      },
    ],
  ];

  it.each(setups)('from %s → closed, and no reconnect afterwards', async (label, setup) => {
    let releaseToken: (token: string) => void = () => {};
    const pendingToken = new Promise<string>((resolve) => (releaseToken = resolve));
    const h = harness(label === 'connecting (token pending)' ? () => pendingToken : 'tok');
    await setup(h);
    const { client, log } = h;
    const before = client.state;
    const socketsBefore = sockets().length;
    const lastBefore = sockets().at(-1);
    client.disconnect();
    expect(client.state).toBe('closed');
    expect(log.state.at(-1)).toEqual({
      previous: before,
      next: 'closed',
      reason: expect.stringContaining('disconnect'),
    });
    if (lastBefore && (before === 'open' || before === 'connecting')) {
      expect(lastBefore.closedByClient).toEqual({ code: 1000, reason: expect.any(String) });
    }
    if (before === 'open')
      expect(log.disconnected.at(-1)).toEqual({ code: 1000, reason: expect.any(String), willReconnect: false });
    releaseToken('late-token');
    await advance(10 * 60_000);
    expect(sockets()).toHaveLength(socketsBefore);
    expect(client.state).toBe('closed');
    expect(vi.getTimerCount()).toBe(0);
    // A second disconnect() changes nothing.
    const events = log.state.length;
    client.disconnect();
    expect(log.state).toHaveLength(events);
  });

  it('a close event of the old socket after disconnect() does not bring the client back', async () => {
    const { client, log } = harness();
    const socket = await openClient(client);
    const onclose = socket.onclose;
    client.disconnect();
    onclose?.({ code: 1006, reason: '' });
    socket.serverClose(1006);
    await advance(10 * 60_000);
    expect(client.state).toBe('closed');
    expect(log.reconnecting).toEqual([]);
    expect(sockets()).toHaveLength(1);
  });

  it('connect() after disconnect() opens again with a reset attempt counter', async () => {
    const { client, log } = harness('tok', { initialDelayMs: 100, random: () => 0.999 });
    client.connect();
    await flush();
    lastSocket().serverClose(1006);
    (await nextSocket(log)).serverClose(1006);
    expect(client.attempt).toBe(2);
    client.disconnect();
    client.connect();
    await flush();
    expect(client.attempt).toBe(0);
    lastSocket().serverClose(1006);
    expect(log.reconnecting.at(-1)).toMatchObject({ attempt: 1, delayMs: 99 });
  });
});

describe('backoff', () => {
  it('delays follow full jitter below min(maxDelayMs, initialDelayMs × factor^n), and the timer honours them', async () => {
    const { client, log } = harness('tok', { initialDelayMs: 100, maxDelayMs: 2000, factor: 3, random: () => 0.999 });
    client.connect();
    await flush();
    for (let n = 0; n < 7; n++) {
      lastSocket().serverClose(1006);
      const ceiling = Math.min(2000, 100 * 3 ** n);
      const scheduled = log.reconnecting.at(-1)!;
      expect(scheduled.attempt).toBe(n + 1);
      expect(scheduled.delayMs).toBe(Math.floor(0.999 * ceiling));
      expect(scheduled.delayMs).toBeLessThan(ceiling);
      expect(scheduled.nextRetryAt).toBe(Date.now() + scheduled.delayMs);
      expect(client.nextRetryAt).toBe(scheduled.nextRetryAt);
      expect(client.attempt).toBe(n + 1);
      const count = sockets().length;
      await advance(scheduled.delayMs - 1);
      expect(sockets()).toHaveLength(count);
      await advance(1);
      expect(sockets()).toHaveLength(count + 1);
      expect(client.nextRetryAt).toBeUndefined();
    }
  });

  it('uses the injected random for each delay: floor(random × ceiling)', async () => {
    const values = [0, 0.25, 0.5, 0.75, 0.999_999];
    const { client, log } = harness('tok', {
      initialDelayMs: 1000,
      maxDelayMs: 30_000,
      random: () => values.shift() ?? 0,
    });
    client.connect();
    await flush();
    for (let n = 0; n < 5; n++) {
      lastSocket().serverClose(1006);
      await nextSocket(log);
    }
    expect(log.reconnecting.map((r) => r.delayMs)).toEqual([0, 500, 2000, 6000, 15_999]);
  });

  it('defaults: 1 s initial, factor 2, capped at 30 s; with Math.random every delay is inside [0, ceiling)', async () => {
    const { client, log } = harness('tok', { random: Math.random });
    client.connect();
    await flush();
    for (let n = 0; n < 12; n++) {
      lastSocket().serverClose(1006);
      await nextSocket(log);
    }
    const ceilings = [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000, 30_000, 30_000, 30_000, 30_000];
    log.reconnecting.forEach((r, n) => {
      expect(r.delayMs).toBeGreaterThanOrEqual(0);
      expect(r.delayMs).toBeLessThan(ceilings[n]!);
    });
  });

  it('defaults: the highest random gives 999, 1999, 3999 … 29 999 ms', async () => {
    const { client, log } = harness('tok', { random: () => 0.999_999_9 });
    client.connect();
    await flush();
    for (let n = 0; n < 7; n++) {
      lastSocket().serverClose(1006);
      await nextSocket(log);
    }
    expect(log.reconnecting.map((r) => r.delayMs)).toEqual([999, 1999, 3999, 7999, 15_999, 29_999, 29_999]);
  });

  it('maxAttempts: after that many reconnects, reconnect_failed and failed, and nothing more', async () => {
    const { client, log } = harness('tok', { maxAttempts: 3, initialDelayMs: 100 });
    client.connect();
    await flush();
    lastSocket().serverClose(1006);
    for (let n = 0; n < 3; n++) (await nextSocket(log)).serverClose(1006);
    expect(sockets()).toHaveLength(4); // the first connect + 3 reconnects
    expect(client.state).toBe('failed');
    expect(log.reconnecting.map((r) => r.attempt)).toEqual([1, 2, 3]);
    expect(log.reconnect_failed).toEqual([{ attempts: 3, reason: expect.any(String), code: 'unreachable' }]);
    expect(log.state.at(-1)).toMatchObject({ previous: 'connecting', next: 'failed' });
    await advance(10 * 60_000);
    expect(sockets()).toHaveLength(4);
  });

  it('maxAttempts defaults to unlimited', async () => {
    const { client, log } = harness('tok', { random: () => 0 });
    client.connect();
    await flush();
    for (let n = 0; n < 60; n++) {
      lastSocket().serverClose(1006);
      await nextSocket(log);
    }
    expect(client.state).toBe('connecting');
    expect(log.reconnect_failed).toEqual([]);
    expect(client.attempt).toBe(60);
  });

  it('the attempt counter resets after stableAfterMs open, not before', async () => {
    const { client, log } = harness('tok', {
      initialDelayMs: 100,
      maxDelayMs: 100_000,
      random: () => 0.999,
      stableAfterMs: 5000,
    });
    client.connect();
    await flush();
    lastSocket().serverClose(1006);
    (await nextSocket(log)).serverClose(1006);
    (await nextSocket(log)).serverClose(1006);
    const fourth = await nextSocket(log);
    expect(client.attempt).toBe(3);
    fourth.welcome();
    await advance(4999);
    expect(client.attempt).toBe(3);
    fourth.serverClose(1006); // dropped before it was stable: keeps counting
    expect(log.reconnecting.at(-1)).toMatchObject({ attempt: 4, delayMs: Math.floor(0.999 * 800) });
    const fifth = await nextSocket(log);
    fifth.welcome();
    await advance(5000);
    expect(client.attempt).toBe(0);
    fifth.serverClose(1006);
    expect(log.reconnecting.at(-1)).toMatchObject({ attempt: 1, delayMs: 99 });
  });

  it('disconnected.willReconnect is false when the attempts are exhausted', async () => {
    const { client, log } = harness('tok', { maxAttempts: 1, initialDelayMs: 100 });
    const first = await openClient(client);
    first.serverClose(1006);
    const second = await nextSocket(log);
    second.welcome();
    second.serverClose(1006); // before stableAfterMs: the single attempt is used up
    expect(client.state).toBe('failed');
    expect(log.disconnected.at(-1)).toMatchObject({ code: 1006, willReconnect: false });
  });

  it('publishes still queued when reconnecting gives up (maxAttempts) are settled, not left pending', async () => {
    const { client, log } = harness('tok', { maxAttempts: 1, initialDelayMs: 100 });
    client.connect();
    await flush();
    lastSocket().serverClose(1006);
    let result: PublishResult | undefined;
    void client.publish('alpha', 1).then((r) => (result = r));
    (await nextSocket(log)).serverClose(1006);
    expect(client.state).toBe('failed');
    await flush();
    expect(result).toMatchObject({ ok: false });
  });
});

describe('subscriptions and recovery', () => {
  it('after a reconnect: exactly one subscribe frame per subscription, with its filters and since/epoch of the last message seen', async () => {
    const { client, log } = harness();
    const first = await openClient(client);
    const alpha = client.subscribe('alpha', { agent_id: 'a1' });
    const beta = client.subscribe('beta');
    const [subAlpha, subBeta] = first.actions('subscribe');
    expect(first.actions('subscribe')).toHaveLength(2);
    expect(subAlpha).toEqual({
      action: 'subscribe',
      id: expect.anything(),
      channel: 'alpha',
      filters: { agent_id: 'a1' },
    });
    expect(subBeta).toEqual({ action: 'subscribe', id: expect.anything(), channel: 'beta' });
    first.deliver(subscribedReply(subAlpha!, 4, 'E1'));
    first.deliver(subscribedReply(subBeta!, 0, 'E1'));
    await expect(alpha).resolves.toEqual({ ok: true, seq: 4, epoch: 'E1' });
    await expect(beta).resolves.toEqual({ ok: true, seq: 0, epoch: 'E1' });
    first.deliver(delivery('alpha', 5, 'E1'));
    first.deliver(delivery('alpha', 6, 'E1'));

    first.serverClose(1012);
    const second = await nextSocket(log);
    expect(second.sent).toEqual([]); // nothing before the welcome
    second.welcome();
    const resent = second.actions('subscribe');
    expect(resent).toHaveLength(2);
    expect(resent[0]).toEqual({
      action: 'subscribe',
      id: expect.anything(),
      channel: 'alpha',
      filters: { agent_id: 'a1' },
      since: 6,
      epoch: 'E1',
    });
    expect(resent[1]).toEqual({ action: 'subscribe', id: expect.anything(), channel: 'beta', since: 0, epoch: 'E1' });
    second.deliver(subscribedReply(resent[0]!, 7, 'E1', true));
    second.deliver(delivery('alpha', 7, 'E1'));
    second.deliver(subscribedReply(resent[1]!, 0, 'E1', true));
    second.answerSync();
    expect(log.gap).toEqual([]);

    second.serverClose(1006);
    const third = await nextSocket(log);
    third.welcome();
    expect(third.actions('subscribe').map((f) => [f.channel, f.since, f.epoch])).toEqual([
      ['alpha', 7, 'E1'],
      ['beta', 0, 'E1'],
    ]);
    expect(third.frames.filter((f) => f.action !== 'subscribe')).toEqual([]);
  });

  it('subscribe and unsubscribe while offline are never queued: one subscribe per remembered subscription on open, no unsubscribe', async () => {
    const { client, log } = harness();
    void client.subscribe('alpha');
    const aAgain = client.subscribe('alpha');
    void client.subscribe('beta');
    client.unsubscribe('beta');
    const c = client.subscribe('gamma', { k: 'v', list: [1, 2] });
    void client.subscribe('gamma', { list: [2, 1], k: 'v' }); // the same subscription
    client.unsubscribe('nothing-here');
    await expect(aAgain).resolves.toMatchObject({ ok: true });
    const first = await openClient(client);
    expect(first.frames.map((f) => [f.action, f.channel, f.filters])).toEqual([
      ['subscribe', 'alpha', undefined],
      ['subscribe', 'gamma', { k: 'v', list: [1, 2] }],
    ]);
    const [subA, subC] = first.sent;
    first.deliver(subscribedReply(subA!, 3, 'E1'));
    first.deliver(subscribedReply(subC!, 9, 'E1'));
    await expect(c).resolves.toEqual({ ok: true, seq: 9, epoch: 'E1' });

    // The same while reconnecting.
    first.serverClose(1006);
    void client.subscribe('delta');
    client.unsubscribe('alpha');
    void client.subscribe('delta');
    const second = await nextSocket(log);
    second.welcome();
    expect(second.frames.map((f) => [f.action, f.channel])).toEqual([
      ['subscribe', 'gamma'],
      ['subscribe', 'delta'],
    ]);
    expect(client.subscriptions.map((s) => s.channel)).toEqual(['gamma', 'delta']);
  });

  it("a duplicate subscribe() leaves the first call's promise to the server's answer", async () => {
    const { client } = harness();
    const firstCall = client.subscribe('alpha');
    const duplicate = client.subscribe('alpha');
    await expect(duplicate).resolves.toMatchObject({ ok: true });
    const socket = await openClient(client);
    expect(socket.actions('subscribe')).toHaveLength(1);
    socket.deliver(subscribedReply(socket.actions('subscribe')[0]!, 3, 'E1'));
    // subscribe() "resolves with the server's first answer": seq 3 of epoch E1, not a made-up one.
    await expect(firstCall).resolves.toEqual({ ok: true, seq: 3, epoch: 'E1' });
  });

  it('subscribe while connecting (socket created, not welcomed) is sent once, after the welcome', async () => {
    const { client } = harness();
    client.connect();
    await flush();
    const socket = lastSocket();
    socket.open();
    void client.subscribe('alpha');
    expect(socket.sent).toEqual([]);
    socket.deliver({ type: 'connected', message: 'x', userId: 'u', role: 'viewer', connectionId: 'c', heartbeatMs: 1 });
    expect(socket.actions('subscribe')).toHaveLength(1);
  });

  it('unsubscribe while open sends one frame and forgets the channel for reconnects', async () => {
    const { client, log } = harness();
    const first = await openClient(client);
    void client.subscribe('alpha');
    client.unsubscribe('alpha');
    expect(first.actions('unsubscribe')).toEqual([{ action: 'unsubscribe', channel: 'alpha', id: expect.anything() }]);
    first.serverClose(1006);
    const second = await nextSocket(log);
    second.welcome();
    expect(second.sent).toEqual([]);
  });

  it('a channel listener gets (data, frame); the same seq is never delivered twice', async () => {
    const { client, log } = harness();
    const socket = await openClient(client);
    void client.subscribe('alpha');
    socket.deliver(subscribedReply(socket.sent[0]!, 0, 'E1'));
    const calls: [unknown, unknown][] = [];
    client.on('alpha', (data, frame) => calls.push([data, frame]));
    for (const seq of [1, 2, 2, 1, 3, 3]) socket.deliver(delivery('alpha', seq, 'E1', { n: seq }));
    expect(calls.map(([data]) => data)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(calls[0]![1]).toEqual({
      type: 'message',
      channel: 'alpha',
      from: 'someone',
      data: { n: 1 },
      timestamp: expect.any(String),
      seq: 1,
      epoch: 'E1',
    });
    expect(log.message.map((m) => m.frame.seq)).toEqual([1, 2, 3]);
    // Broadcasts count too.
    socket.deliver({
      type: 'broadcast',
      channel: 'alpha',
      data: { n: 4 },
      timestamp: new Date().toISOString(),
      seq: 4,
      epoch: 'E1',
    });
    socket.deliver({
      type: 'broadcast',
      channel: 'alpha',
      data: { n: 4 },
      timestamp: new Date().toISOString(),
      seq: 4,
      epoch: 'E1',
    });
    expect(calls.map(([data]) => data)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }]);
  });

  it('a replay that overlaps what was already seen is delivered without duplicates', async () => {
    const { client, log } = harness();
    const first = await openClient(client);
    void client.subscribe('alpha');
    first.deliver(subscribedReply(first.sent[0]!, 0, 'E1'));
    const seen: number[] = [];
    client.on('alpha', (_data, frame) => seen.push(frame.seq));
    for (const seq of [1, 2, 3]) first.deliver(delivery('alpha', seq, 'E1'));
    first.serverClose(1006);
    const second = await nextSocket(log);
    second.welcome();
    const resubscribe = second.actions('subscribe')[0]!;
    expect(resubscribe).toMatchObject({ since: 3, epoch: 'E1' });
    second.deliver(subscribedReply(resubscribe, 6, 'E1', true));
    for (const seq of [2, 3, 4, 5, 6, 5, 6]) second.deliver(delivery('alpha', seq, 'E1'));
    second.answerSync();
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('recovered:false raises a gap naming the channel, and the new epoch is followed from its seq', async () => {
    const { client, log } = harness();
    const first = await openClient(client);
    void client.subscribe('alpha');
    first.deliver(subscribedReply(first.sent[0]!, 0, 'E1'));
    for (const seq of [1, 2, 3, 4, 5, 6]) first.deliver(delivery('alpha', seq, 'E1'));
    expect(log.gap).toEqual([]);
    const seen: string[] = [];
    client.on('alpha', (_data, frame) => seen.push(`${frame.epoch}:${frame.seq}`));
    first.serverClose(1012);
    const second = await nextSocket(log);
    second.welcome();
    const resubscribe = second.actions('subscribe')[0]!;
    expect(resubscribe).toMatchObject({ since: 6, epoch: 'E1' });
    second.deliver(subscribedReply(resubscribe, 2, 'E2', false));
    expect(log.gap).toEqual([{ channel: 'alpha', since: 6, seq: 2, epoch: 'E2' }]);
    second.deliver(delivery('alpha', 3, 'E2'));
    second.deliver(delivery('alpha', 4, 'E2'));
    second.answerSync();
    expect(seen).toEqual(['E2:3', 'E2:4']);
    second.serverClose(1006);
    const third = await nextSocket(log);
    third.welcome();
    expect(third.actions('subscribe')[0]).toMatchObject({ since: 4, epoch: 'E2' });
  });

  it('two filtered subscriptions on one channel: every message replayed after a reconnect reaches the listener once', async () => {
    // The server answers each resubscribe with its own replay (src/server/connection/session.ts): first the
    // a1 messages missed (3, 5), then the a2 ones not already sent (4, 6).
    const { client, log } = harness();
    const first = await openClient(client);
    void client.subscribe('t', { agent_id: 'a1' });
    void client.subscribe('t', { agent_id: 'a2' });
    const [s1, s2] = first.actions('subscribe');
    first.deliver(subscribedReply(s1!, 0, 'E1'));
    first.deliver(subscribedReply(s2!, 0, 'E1'));
    const seen: number[] = [];
    client.on('t', (_data, frame) => seen.push(frame.seq));
    first.deliver(delivery('t', 1, 'E1', { agent_id: 'a1' }));
    first.deliver(delivery('t', 2, 'E1', { agent_id: 'a2' }));
    first.serverClose(1006);
    const second = await nextSocket(log);
    second.welcome();
    const [r1, r2] = second.actions('subscribe');
    expect(r1).toMatchObject({ filters: { agent_id: 'a1' }, since: 2, epoch: 'E1' });
    expect(r2).toMatchObject({ filters: { agent_id: 'a2' }, since: 2, epoch: 'E1' });
    second.deliver(subscribedReply(r1!, 6, 'E1', true));
    second.deliver(delivery('t', 3, 'E1', { agent_id: 'a1' }));
    second.deliver(delivery('t', 5, 'E1', { agent_id: 'a1' }));
    second.deliver(subscribedReply(r2!, 6, 'E1', true));
    second.deliver(delivery('t', 4, 'E1', { agent_id: 'a2' }));
    second.deliver(delivery('t', 6, 'E1', { agent_id: 'a2' }));
    second.answerSync();
    // Released in seq order once every replay is in.
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('replays of several channels interleaved in the hold: each channel released in seq order, each message once, none lost', async () => {
    const { client, log } = harness();
    const first = await openClient(client);
    for (const [channel, filters] of [
      ['a', { k: 1 }],
      ['b', undefined],
      ['a', { k: 2 }],
      ['c', undefined],
    ] as const) {
      void client.subscribe(channel, filters);
    }
    first.actions('subscribe').forEach((request) => first.deliver(subscribedReply(request, 0, 'E1')));
    const seen: Record<string, number[]> = { a: [], b: [], c: [] };
    for (const channel of ['a', 'b', 'c']) client.on(channel, (_data, frame) => seen[channel]!.push(frame.seq));
    first.serverClose(1006);
    const second = await nextSocket(log);
    second.welcome();
    for (const request of second.actions('subscribe')) second.deliver(subscribedReply(request, 9, 'E1', true));
    const held: [string, number][] = [
      ['a', 3],
      ['b', 1],
      ['a', 2],
      ['c', 5],
      ['b', 2],
      ['a', 1],
      ['a', 3],
      ['c', 4],
      ['b', 1],
      ['a', 6],
      ['b', 4],
      ['a', 4],
      ['c', 6],
      ['b', 3],
      ['a', 5],
      ['c', 5],
      ['a', 6],
    ];
    for (const [channel, seq] of held) second.deliver(delivery(channel, seq, 'E1'));
    expect(seen).toEqual({ a: [], b: [], c: [] });
    second.answerSync();
    expect(seen).toEqual({ a: [1, 2, 3, 4, 5, 6], b: [1, 2, 3, 4], c: [4, 5, 6] });
    // Released, so no longer held: live messages go straight through, duplicates still dropped.
    second.deliver(delivery('b', 4, 'E1'));
    second.deliver(delivery('b', 5, 'E1'));
    expect(seen.b).toEqual([1, 2, 3, 4, 5]);
    expect(log.gap).toEqual([]);
  });

  it('a channel whose epoch changes inside the hold: the old epoch first, then the new one from its start, with a gap', async () => {
    const { client, log } = harness();
    const first = await openClient(client);
    void client.subscribe('t');
    first.deliver(subscribedReply(first.sent[0]!, 0, 'E1'));
    first.deliver(delivery('t', 1, 'E1'));
    const seen: string[] = [];
    client.on('t', (_data, frame) => seen.push(`${frame.epoch}:${frame.seq}`));
    first.serverClose(1006);
    const second = await nextSocket(log);
    second.welcome();
    second.deliver(subscribedReply(second.actions('subscribe')[0]!, 3, 'E1', true));
    for (const [epoch, seq] of [
      ['E1', 3],
      ['E1', 2],
      ['E2', 2],
      ['E1', 3],
      ['E2', 1],
    ] as const) {
      second.deliver(delivery('t', seq, epoch));
    }
    second.answerSync();
    expect(seen).toEqual(['E1:2', 'E1:3', 'E2:1', 'E2:2']);
    expect(log.gap).toEqual([{ channel: 't', since: 3, seq: 1, epoch: 'E2' }]);
  });

  it('a reply that moves the position past what one replay lost never drops what another replay brings', async () => {
    // History was trimmed between the two resubscribes: the first replays 3 and 5, the second
    // answers recovered:false at seq 6. Messages 3 and 5 were never delivered: they still are.
    const { client, log } = harness();
    const first = await openClient(client);
    void client.subscribe('t', { agent_id: 'a1' });
    void client.subscribe('t', { agent_id: 'a2' });
    const [s1, s2] = first.actions('subscribe');
    first.deliver(subscribedReply(s1!, 0, 'E1'));
    first.deliver(subscribedReply(s2!, 0, 'E1'));
    const seen: number[] = [];
    client.on('t', (_data, frame) => seen.push(frame.seq));
    first.deliver(delivery('t', 2, 'E1'));
    first.serverClose(1006);
    const second = await nextSocket(log);
    second.welcome();
    const [r1, r2] = second.actions('subscribe');
    second.deliver(subscribedReply(r1!, 6, 'E1', true));
    second.deliver(delivery('t', 3, 'E1'));
    second.deliver(delivery('t', 5, 'E1'));
    second.deliver(subscribedReply(r2!, 6, 'E1', false));
    second.deliver(delivery('t', 7, 'E1'));
    second.answerSync();
    expect(seen).toEqual([2, 3, 5, 7]);
    expect(log.gap).toEqual([{ channel: 't', since: 2, seq: 6, epoch: 'E1' }]);
    second.deliver(delivery('t', 6, 'E1'));
    expect(seen).toEqual([2, 3, 5, 7]);
  });

  it('disconnect() from a listener while the hold is released: the rest is neither delivered nor recorded', async () => {
    const { client, log } = harness();
    const first = await openClient(client);
    void client.subscribe('t');
    first.deliver(subscribedReply(first.sent[0]!, 0, 'E1'));
    const seen: number[] = [];
    client.on('t', (_data, frame) => {
      seen.push(frame.seq);
      if (frame.seq === 2) client.disconnect();
    });
    first.serverClose(1006);
    const second = await nextSocket(log);
    second.welcome();
    second.deliver(subscribedReply(second.actions('subscribe')[0]!, 3, 'E1', true));
    for (const seq of [3, 1, 2]) second.deliver(delivery('t', seq, 'E1'));
    second.answerSync();
    expect(seen).toEqual([1, 2]);
    client.connect();
    await flush();
    lastSocket().welcome();
    expect(lastSocket().actions('subscribe')[0]).toMatchObject({ since: 2, epoch: 'E1' });
  });

  it('a sync ping the server dropped (rate_limited) is sent again after 1 s; deliveries stay held until its pong', async () => {
    const { client, log } = harness();
    const first = await openClient(client);
    void client.subscribe('alpha');
    first.deliver(subscribedReply(first.sent[0]!, 0, 'E1'));
    const seen: number[] = [];
    client.on('alpha', (_data, frame) => seen.push(frame.seq));
    first.serverClose(1006);
    const second = await nextSocket(log);
    second.welcome();
    const syncPings = () => second.actions('ping').filter((f) => String(f.id).startsWith('sync'));
    expect(syncPings()).toHaveLength(1);
    // The rate limit answers at once, before the resubscribe's replay.
    second.deliver({ type: 'error', id: syncPings()[0]!.id, code: 'rate_limited', message: 'slow down' });
    second.deliver(subscribedReply(second.actions('subscribe')[0]!, 2, 'E1', true));
    second.deliver(delivery('alpha', 2, 'E1'));
    second.deliver(delivery('alpha', 1, 'E1'));
    expect(seen).toEqual([]);
    await advance(999);
    expect(syncPings()).toHaveLength(1);
    await advance(1);
    expect(syncPings()).toHaveLength(2);
    second.answerSync();
    expect(seen).toEqual([1, 2]);
    expect(client.state).toBe('open');
  });
});

describe('errors answering requests', () => {
  it('a publish settles with the code of the error frame carrying its id; the ack gives seq and epoch', async () => {
    const { client, log } = harness();
    const socket = await openClient(client);
    const codes = ['rate_limited', 'unavailable', 'forbidden', 'invalid_command', 'invalid_message', 'not_found'];
    const refused = codes.map((_, i) => client.publish('alpha', i));
    const accepted = client.publish('alpha', 'fine');
    const frames = socket.actions('publish');
    let settled = 0;
    for (const result of [...refused, accepted]) void result.then(() => settled++);
    // Errors without an id, or with another one, settle nothing.
    socket.deliver({ type: 'error', code: 'rate_limited', message: 'no id' });
    socket.deliver({ type: 'error', id: 'p-unknown', code: 'rate_limited', message: 'not ours' });
    await flush();
    expect(settled).toBe(0);
    codes.forEach((code, i) => socket.deliver({ type: 'error', id: frames[i]!.id, code, message: `m-${code}` }));
    socket.deliver({ type: 'ack', id: frames.at(-1)!.id, channel: 'alpha', seq: 7, epoch: 'E1' });
    expect(await Promise.all(refused)).toEqual(codes.map((code) => ({ ok: false, code, message: `m-${code}` })));
    expect(await accepted).toEqual({ ok: true, seq: 7, epoch: 'E1', channel: 'alpha' });
    expect(log.error.map((e) => e.code)).toEqual(['rate_limited', 'rate_limited', ...codes]);
    expect(log.error.at(-1)).toEqual({ code: 'not_found', message: 'm-not_found', id: frames[5]!.id });
  });

  it('publishes the server dropped unread settle as rate_limited: by a later ack, or by the pong of a ping sent after the pause', async () => {
    const { client } = harness();
    const socket = await openClient(client);
    const results = [0, 1, 2, 3].map((i) => client.publish('alpha', i));
    const frames = socket.actions('publish');
    const settled: PublishResult[] = [];
    results.forEach((r) => void r.then((result) => settled.push(result)));
    // The server refused #0 at once (with its id) and then did not read #1 and #2; #3 came later.
    socket.deliver({ type: 'error', id: frames[0]!.id, code: 'rate_limited', message: 'not read for 500 ms' });
    socket.deliver({ type: 'ack', id: frames[3]!.id, channel: 'alpha', seq: 9 });
    await flush();
    expect(settled.map((r) => r.ok)).toEqual([false, false, false, true]);
    expect(await results[1]).toMatchObject({ ok: false, code: 'rate_limited', message: /dropped unread/ });
    // Nothing followed the next pause: a ping goes out once it is surely over, and its pong settles what waited.
    const late = [client.publish('alpha', 4), client.publish('alpha', 5)];
    const lateFrames = socket.actions('publish').slice(4);
    socket.deliver({ type: 'error', id: lateFrames[0]!.id, code: 'rate_limited', message: 'not read for 2000 ms' });
    const drainPings = () => socket.actions('ping').filter((f) => /^d\d+$/.test(String(f.id)));
    await advance(2499);
    expect(drainPings()).toHaveLength(0);
    await advance(1);
    expect(drainPings()).toHaveLength(1);
    const afterPing = client.publish('alpha', 6);
    socket.deliver({ type: 'pong', id: drainPings()[0]!.id, timestamp: Date.now() });
    expect(await late[1]).toMatchObject({ ok: false, code: 'rate_limited', message: /dropped unread/ });
    // A publish sent after the ping is not judged by it.
    let afterSettled = false;
    void afterPing.then(() => (afterSettled = true));
    await flush();
    expect(afterSettled).toBe(false);
    socket.deliver({ type: 'ack', id: socket.actions('publish').at(-1)!.id, channel: 'alpha', seq: 10 });
    expect(await afterPing).toMatchObject({ ok: true, seq: 10 });
  });

  it('a sync ping dropped unread is sent again after the drain ping comes back', async () => {
    const { client, log } = harness();
    const first = await openClient(client);
    void client.subscribe('alpha');
    first.deliver(subscribedReply(first.sent[0]!, 0, 'E1'));
    const seen: number[] = [];
    client.on('alpha', (_data, frame) => seen.push(frame.seq));
    first.serverClose(1006);
    const second = await nextSocket(log);
    second.welcome();
    const syncPings = () => second.actions('ping').filter((f) => String(f.id).startsWith('sync'));
    second.deliver(subscribedReply(second.actions('subscribe')[0]!, 1, 'E1', true));
    second.deliver(delivery('alpha', 1, 'E1'));
    // The connection went over its rate: the sync ping was dropped unread (no answer at all).
    second.deliver({ type: 'error', code: 'rate_limited', message: 'not read for 2000 ms' });
    await advance(2500);
    const drain = second.actions('ping').find((f) => /^d\d+$/.test(String(f.id)));
    expect(drain).toBeDefined();
    second.deliver({ type: 'pong', id: drain!.id, timestamp: Date.now() });
    expect(syncPings()).toHaveLength(2);
    expect(seen).toEqual([]);
    second.answerSync();
    expect(seen).toEqual([1]);
  });

  it('an ack without epoch (older servers) resolves with seq and channel', async () => {
    const { client } = harness();
    const socket = await openClient(client);
    const result = client.publish('alpha', 1);
    socket.deliver({ type: 'ack', id: socket.actions('publish')[0]!.id, channel: 'alpha', seq: 3 });
    await expect(result).resolves.toEqual({ ok: true, seq: 3, channel: 'alpha' });
  });

  it('subscribe() settles with the error carrying its id: refusals are forgotten, failures for now are re-sent on reconnect', async () => {
    const { client, log } = harness();
    const first = await openClient(client);
    const forbidden = client.subscribe('secret');
    const limited = client.subscribe('busy');
    const tooMany = client.subscribe('t', { agent_id: 'a3' });
    const invalid = client.subscribe('t', { agent_id: 'a4' });
    const kept = client.subscribe('t', { agent_id: 'a1' });
    const [sSecret, sBusy, sTooMany, sInvalid, sKept] = first.actions('subscribe');
    first.deliver({ type: 'error', id: sSecret!.id, code: 'forbidden', message: 'no' });
    first.deliver({ type: 'error', id: sBusy!.id, code: 'rate_limited', message: 'slow down' });
    first.deliver({ type: 'error', id: sTooMany!.id, code: 'too_many_subscriptions', message: 'full' });
    first.deliver({ type: 'error', id: sInvalid!.id, code: 'invalid_message', message: 'bad filters' });
    first.deliver(subscribedReply(sKept!, 4, 'E1'));
    await expect(forbidden).resolves.toEqual({ ok: false, code: 'forbidden', message: 'no' });
    await expect(limited).resolves.toEqual({ ok: false, code: 'rate_limited', message: 'slow down' });
    await expect(tooMany).resolves.toMatchObject({ ok: false, code: 'too_many_subscriptions' });
    await expect(invalid).resolves.toMatchObject({ ok: false, code: 'invalid_message' });
    await expect(kept).resolves.toEqual({ ok: true, seq: 4, epoch: 'E1' });
    // The refused ones go, even next to another subscription of the same channel.
    expect(client.subscriptions.map((s) => [s.channel, s.filters])).toEqual([
      ['busy', undefined],
      ['t', { agent_id: 'a1' }],
    ]);
    first.serverClose(1006);
    const second = await nextSocket(log);
    second.welcome();
    expect(second.actions('subscribe').map((f) => [f.channel, f.filters, f.since])).toEqual([
      ['busy', undefined, undefined],
      ['t', { agent_id: 'a1' }, 4],
    ]);
  });

  it('a heartbeat ping answered with rate_limited still proves the connection alive', async () => {
    const { client, log } = harness('tok', { pingIntervalMs: 1000, pongTimeoutMs: 500 });
    const socket = await openClient(client);
    await advance(1000);
    const ping = socket.actions('ping')[0]!;
    await advance(20);
    socket.deliver({ type: 'error', id: ping.id, code: 'rate_limited', message: 'slow down' });
    expect(log.rtt).toEqual([{ rttMs: 20 }]);
    await advance(600);
    expect(client.state).toBe('open');
  });
});

describe('offline queue', () => {
  it('publishes made while offline wait and are sent once, in order, after the subscriptions, on open', async () => {
    const { client, log } = harness();
    void client.subscribe('alpha');
    const results = [client.publish('alpha', 1), client.publish('alpha', 2), client.publish('beta', 3)];
    expect(client.queuedCount).toBe(3);
    const socket = await openClient(client);
    expect(client.queuedCount).toBe(0);
    expect(socket.frames.map((f) => [f.action, f.channel, f.payload])).toEqual([
      ['subscribe', 'alpha', undefined],
      ['publish', 'alpha', 1],
      ['publish', 'alpha', 2],
      ['publish', 'beta', 3],
    ]);
    socket
      .actions('publish')
      .forEach((f, i) => socket.deliver({ type: 'ack', id: f.id, channel: f.channel, seq: 10 + i, epoch: 'E1' }));
    await expect(Promise.all(results)).resolves.toEqual([
      { ok: true, seq: 10, epoch: 'E1', channel: 'alpha' },
      { ok: true, seq: 11, epoch: 'E1', channel: 'alpha' },
      { ok: true, seq: 12, epoch: 'E1', channel: 'beta' },
    ]);
    // Reconnecting does not send them again.
    socket.serverClose(1006);
    const second = await nextSocket(log);
    second.welcome();
    expect(second.actions('publish')).toEqual([]);
  });

  it('is bounded: the oldest frames are dropped first, settled as queue_overflow, with an event saying how many', async () => {
    const { client, log } = harness('tok', { offlineQueueSize: 3 });
    const results = [1, 2, 3, 4, 5].map((n) => client.publish('alpha', n));
    expect(client.queuedCount).toBe(3);
    expect(log.queue_overflow).toEqual([
      { dropped: 1, capacity: 3 },
      { dropped: 1, capacity: 3 },
    ]);
    await expect(results[0]).resolves.toMatchObject({ ok: false, code: 'queue_overflow' });
    await expect(results[1]).resolves.toMatchObject({ ok: false, code: 'queue_overflow' });
    const socket = await openClient(client);
    expect(socket.actions('publish').map((f) => f.payload)).toEqual([3, 4, 5]);
  });

  it('holds 1000 publishes by default', async () => {
    const { client, log } = harness();
    const first = client.publish('alpha', 0);
    for (let n = 1; n < 1000; n++) void client.publish('alpha', n);
    expect(client.queuedCount).toBe(1000);
    expect(log.queue_overflow).toEqual([]);
    void client.publish('alpha', 1000);
    expect(client.queuedCount).toBe(1000);
    expect(log.queue_overflow).toEqual([{ dropped: 1, capacity: 1000 }]);
    await expect(first).resolves.toMatchObject({ ok: false, code: 'queue_overflow' });
    const socket = await openClient(client);
    const payloads = socket.actions('publish').map((f) => f.payload);
    expect(payloads).toHaveLength(1000);
    expect(payloads[0]).toBe(1);
    expect(payloads.at(-1)).toBe(1000);
  });

  it('a publish in flight when the connection drops resolves disconnected and is not re-sent', async () => {
    const { client, log } = harness();
    const first = await openClient(client);
    const result = client.publish('alpha', 'x');
    expect(first.actions('publish')).toHaveLength(1);
    first.serverClose(1006);
    await expect(result).resolves.toMatchObject({ ok: false, code: 'disconnected' });
    const second = await nextSocket(log);
    second.welcome();
    expect(second.actions('publish')).toEqual([]);
  });

  it('disconnect() settles queued publishes as closed', async () => {
    const { client } = harness();
    const result = client.publish('alpha', 1);
    client.disconnect();
    await expect(result).resolves.toMatchObject({ ok: false, code: 'closed' });
    expect(client.queuedCount).toBe(0);
  });
});

describe('heartbeat', () => {
  it('pings every pingIntervalMs while open; the pong gives the rtt, emitted and readable', async () => {
    const { client, log } = harness('tok', { pingIntervalMs: 1000, pongTimeoutMs: 500 });
    const socket = await openClient(client);
    expect(client.rttMs).toBeUndefined();
    await advance(999);
    expect(socket.actions('ping')).toEqual([]);
    await advance(1);
    const ping = socket.actions('ping')[0]!;
    expect(ping).toEqual({ action: 'ping', id: expect.any(String) });
    await advance(37);
    socket.deliver({ type: 'pong', id: ping.id, timestamp: Date.now() });
    expect(log.rtt).toEqual([{ rttMs: 37 }]);
    expect(client.rttMs).toBe(37);
    await advance(1000);
    expect(socket.actions('ping')).toHaveLength(2);
    expect(client.state).toBe('open');
  });

  it('no pong within pongTimeoutMs → the socket is abandoned and the client reconnects', async () => {
    const { client, log } = harness('tok', { pingIntervalMs: 1000, pongTimeoutMs: 500 });
    const socket = await openClient(client);
    await advance(1000 + 499);
    expect(client.state).toBe('open');
    await advance(1);
    expect(client.state).toBe('reconnecting');
    expect(log.disconnected).toEqual([
      { code: 1006, reason: expect.stringContaining('heartbeat'), willReconnect: true },
    ]);
    expect(socket.closedByClient).toBeDefined();
    const second = await nextSocket(log);
    second.welcome();
    expect(client.state).toBe('open');
  });

  it('defaults: ping every 15 s, dead after 10 s without pong', async () => {
    const { client } = harness();
    const socket = await openClient(client);
    await advance(14_999);
    expect(socket.actions('ping')).toEqual([]);
    await advance(1);
    expect(socket.actions('ping')).toHaveLength(1);
    await advance(9_999);
    expect(client.state).toBe('open');
    await advance(1);
    expect(client.state).toBe('reconnecting');
  });

  it('a pong for another id neither gives an rtt nor saves the connection', async () => {
    const { client, log } = harness('tok', { pingIntervalMs: 1000, pongTimeoutMs: 500 });
    const socket = await openClient(client);
    await advance(1000);
    socket.deliver({ type: 'pong', id: 'not-mine', timestamp: Date.now() });
    expect(log.rtt).toEqual([]);
    await advance(500);
    expect(client.state).toBe('reconnecting');
  });

  it('checkLiveness() pings at once while open', async () => {
    const { client } = harness('tok', { pingIntervalMs: 60_000 });
    const socket = await openClient(client);
    client.checkLiveness();
    expect(socket.actions('ping')).toHaveLength(1);
  });

  it('does not ping while not open', async () => {
    const { client } = harness('tok', { pingIntervalMs: 1000 });
    client.connect();
    await flush();
    const socket = lastSocket();
    socket.open();
    await advance(5000);
    expect(socket.actions('ping')).toEqual([]);
  });
});

describe('network (browsers)', () => {
  it('offline: no retry timer; the online event reconnects at once', async () => {
    const network = new FakeNetwork();
    const { client, log } = harness('tok', { network });
    const first = await openClient(client);
    network.online = false;
    first.serverClose(1006);
    expect(client.state).toBe('reconnecting');
    expect(log.reconnecting).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
    await advance(10 * 60_000);
    expect(sockets()).toHaveLength(1);
    network.goOnline();
    await flush();
    expect(sockets()).toHaveLength(2);
    expect(client.state).toBe('connecting');
    expect(log.state.at(-1)!.reason).toMatch(/online/);
    lastSocket().welcome();
    expect(client.state).toBe('open');
  });

  it('online while a retry is pending reconnects at once and cancels the timer', async () => {
    const network = new FakeNetwork();
    const { client, log } = harness('tok', { network, random: () => 0.999 });
    const first = await openClient(client);
    first.serverClose(1006);
    expect(log.reconnecting.at(-1)!.delayMs).toBe(999);
    network.goOnline();
    await flush();
    expect(sockets()).toHaveLength(2);
    lastSocket().welcome();
    await advance(10_000);
    expect(sockets()).toHaveLength(2);
    expect(client.state).toBe('open');
  });

  it('online while open or closed does nothing; disconnect() stops listening', async () => {
    const network = new FakeNetwork();
    const { client } = harness('tok', { network });
    await openClient(client);
    expect(network.listeners.size).toBe(1);
    network.goOnline();
    await flush();
    expect(sockets()).toHaveLength(1);
    client.disconnect();
    expect(network.listeners.size).toBe(0);
  });
});

describe('on()', () => {
  it('returns a working off() for client events and for channels', async () => {
    const { client } = harness('tok');
    const states: string[] = [];
    const offState = client.on('state', ({ next }) => states.push(next));
    const data: unknown[] = [];
    const offAlpha = client.on('alpha', (d) => data.push(d));
    const socket = await openClient(client);
    socket.deliver(delivery('alpha', 1, 'E1', 'one'));
    offState();
    offAlpha();
    socket.deliver(delivery('alpha', 2, 'E1', 'two'));
    client.disconnect();
    expect(states).toEqual(['connecting', 'open']);
    expect(data).toEqual(['one']);
  });

  it('onChannel() listens to a channel named like a client event', async () => {
    const { client } = harness('tok');
    const got: unknown[] = [];
    client.onChannel('error', (d) => got.push(d));
    const socket = await openClient(client);
    socket.deliver(delivery('error', 1, 'E1', 'channel data'));
    expect(got).toEqual(['channel data']);
  });
});

describe('reconnectNow() and the service-restart retry', () => {
  it('reconnectNow() skips the backoff wait: a new socket at once, no second one when the old timer was due', async () => {
    const { client, log } = harness('tok', { initialDelayMs: 10_000, random: () => 0.9 });
    await openClient(client);
    lastSocket().serverClose(CloseCode.Abnormal);
    expect(client.state).toBe('reconnecting');
    expect(log.reconnecting.at(-1)!.delayMs).toBe(9000);
    const count = sockets().length;
    client.reconnectNow();
    await flush();
    expect(sockets()).toHaveLength(count + 1);
    expect(client.state).toBe('connecting');
    expect(transitions(log.state).slice(-1)).toEqual(['reconnecting>connecting']);
    expect(log.state.at(-1)!.reason).toBe('reconnect now');
    lastSocket().welcome();
    await advance(20_000);
    expect(sockets()).toHaveLength(count + 1);
    expect(client.state).toBe('open');
  });

  it('reconnectNow() does nothing while connecting or open, and reopens from closed', async () => {
    const { client } = harness();
    await openClient(client);
    client.reconnectNow();
    await flush();
    expect(sockets()).toHaveLength(1);
    client.disconnect();
    client.reconnectNow();
    await flush();
    expect(sockets()).toHaveLength(2);
    expect(client.state).toBe('connecting');
    client.reconnectNow();
    await flush();
    expect(sockets()).toHaveLength(2);
  });

  it('after close 1012 the first retry comes within a random delay of at most 2 s, whatever the backoff', async () => {
    for (const random of [0, 0.5, 0.999_999]) {
      FakeSocket.instances = [];
      const { client, log } = harness('tok', { initialDelayMs: 30_000, maxDelayMs: 30_000, random: () => random });
      await openClient(client);
      // Unstable connections before: the attempt counter is high, the backoff long.
      for (let n = 0; n < 4; n++) {
        lastSocket().serverClose(CloseCode.Abnormal);
        (await nextSocket(log)).welcome();
      }
      lastSocket().serverClose(CloseCode.ServiceRestart, 'service restart');
      const scheduled = log.reconnecting.at(-1)!;
      expect(scheduled.delayMs).toBe(Math.floor(random * 2000));
      expect(scheduled.delayMs).toBeLessThan(2000);
      const count = sockets().length;
      await advance(scheduled.delayMs);
      expect(sockets()).toHaveLength(count + 1);
      // The server is not back yet: the next retries follow the backoff again.
      lastSocket().serverClose(CloseCode.Abnormal);
      expect(log.reconnecting.at(-1)!.delayMs).toBe(Math.floor(random * 30_000));
      client.disconnect();
    }
  });
});

describe('subscribed event', () => {
  it('tells every confirmed subscription, also each resubscribe after a reconnect', async () => {
    const { client, log } = harness();
    const subscribed: ClientEvents['subscribed'][] = [];
    client.on('subscribed', (context) => subscribed.push(context));
    const socket = await openClient(client);
    void client.subscribe('telemetry');
    socket.deliver(subscribedReply(socket.actions('subscribe')[0]!, 3, 'e1'));
    expect(subscribed).toEqual([{ channel: 'telemetry', seq: 3, epoch: 'e1' }]);
    socket.serverClose(CloseCode.Abnormal);
    const next = await nextSocket(log);
    next.welcome();
    next.deliver(subscribedReply(next.actions('subscribe')[0]!, 9, 'e2', false));
    expect(subscribed.at(-1)).toEqual({ channel: 'telemetry', seq: 9, epoch: 'e2', recovered: false });
  });
});

describe('terminal failures each have their own code', () => {
  it.each([
    [1007, 'policy_violation'],
    [1008, 'policy_violation'],
    [1009, 'policy_violation'],
    [4003, 'closed_by_admin'],
  ])('close %i: failed, reconnect_failed and waiting publishes settle with %s', async (code, expected) => {
    const { client, log } = harness(() => 'tok');
    const first = await openClient(client);
    first.serverClose(code);
    const published = client.publish('alpha', 1);
    expect(client.state).toBe('failed');
    expect(log.reconnect_failed).toEqual([{ attempts: 0, reason: expect.any(String), code: expected }]);
    // A publish made after the failure waits in the queue until connect() (nothing is lost).
    expect(client.queuedCount).toBe(1);
    client.disconnect();
    await expect(published).resolves.toMatchObject({ ok: false, code: 'closed' });
  });

  it('a publish waiting when the connection fails settles with the failure code', async () => {
    const { client } = harness('tok');
    const published = client.publish('alpha', 1);
    client.connect();
    await flush();
    lastSocket().serverClose(1008);
    await expect(published).resolves.toMatchObject({ ok: false, code: 'policy_violation' });
  });

  it('4001 with a string token: token_expired', async () => {
    const { client, log } = harness('tok');
    (await openClient(client)).serverClose(CloseCode.TokenExpired);
    expect(log.reconnect_failed.map((f) => f.code)).toEqual(['token_expired']);
  });

  it('4001, then the provider returns the same token: token_expired; a refused upgrade: auth_refused', async () => {
    const { client, log } = harness(() => 'same');
    (await openClient(client)).serverClose(CloseCode.TokenExpired);
    await advance(log.reconnecting.at(-1)!.delayMs);
    expect(log.reconnect_failed.map((f) => f.code)).toEqual(['token_expired']);
    client.connect();
    await flush();
    lastSocket().refuseUpgrade(403);
    await advance(log.reconnecting.at(-1)!.delayMs);
    expect(log.reconnect_failed.map((f) => f.code)).toEqual(['token_expired', 'auth_refused']);
  });

  it('attempts ran out: unreachable, also for what waited', async () => {
    const { client, log } = harness('tok', { maxAttempts: 1, initialDelayMs: 100 });
    const published = client.publish('alpha', 1);
    client.connect();
    await flush();
    lastSocket().serverClose(1006);
    (await nextSocket(log)).serverClose(1006);
    expect(client.state).toBe('failed');
    await expect(published).resolves.toMatchObject({ ok: false, code: 'unreachable' });
  });

  it('a WebSocket that cannot be created: invalid_url', async () => {
    class Throwing extends FakeSocket {
      constructor(url: string) {
        super(url);
        throw new SyntaxError('bad url');
      }
    }
    const { client, log } = harness('tok', { WebSocket: Throwing });
    client.connect();
    await flush();
    expect(client.state).toBe('failed');
    expect(log.reconnect_failed.map((f) => f.code)).toEqual(['invalid_url']);
  });

  it('close 4010 (closed by admin, the default): reconnects after the usual backoff', async () => {
    const { client, log } = harness('tok', { initialDelayMs: 1000 });
    const first = await openClient(client);
    first.serverClose(CloseCode.ClosedByAdmin, 'closed by admin');
    expect(client.state).toBe('reconnecting');
    expect(log.disconnected).toEqual([{ code: 4010, reason: 'closed by admin', willReconnect: true }]);
    expect(log.reconnecting).toEqual([{ attempt: 1, delayMs: 500, nextRetryAt: expect.any(Number) }]);
    (await nextSocket(log)).welcome();
    expect(client.state).toBe('open');
    expect(log.reconnect_failed).toEqual([]);
  });
});
