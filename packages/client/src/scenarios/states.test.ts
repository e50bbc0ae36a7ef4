/**
 * The connection's life, state by state: idle → connecting → open → reconnecting → … → closed or
 * failed. Which closes are retried, what `disconnect()` does from every state, and how each
 * terminal failure is named (reconnect_failed's code, and the code what was waiting settles with).
 */
import { describe, expect, it, vi } from 'vitest';
import { CloseCode, isRetryableClose, needsNewToken } from '../protocol/index.js';
import type { ConnectionState } from '../events.js';
import { NexusWebSocket } from '../nexus-websocket.js';
import type { TokenProvider } from '../token.js';
import {
  advance,
  FakeSocket,
  flush,
  harness,
  lastSocket,
  nextSocket,
  openClient,
  sockets,
  track,
  transitions,
  URL_BASE,
  useClientScenarios,
} from '../testing/client-harness.js';

useClientScenarios();

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
    const client = track(new NexusWebSocket('ws://nexus.test/ws?x=1', 'a b&c', { WebSocket: FakeSocket }));
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
