import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { createAuth } from '../auth.js';
import { MemoryBroker } from '../broker/index.js';
import { Hub } from '../fanout/index.js';
import { createMetrics } from '../metrics.js';
import { builtInPolicy, createPolicy } from '../policy.js';
import { Session } from './session.js';
import type { Role } from '@nexus-realtime/client/protocol';

/** Just enough of a ws socket to drive the heartbeat. */
class FakeSocket extends EventEmitter {
  readyState = 1;
  bufferedAmount = 0;
  pings = 0;
  terminated = false;
  ping() {
    this.pings++;
  }
  terminate() {
    this.terminated = true;
  }
  isPaused = false;
  readonly sent: Record<string, unknown>[] = [];
  /** The TCP socket the session writes its (uncompressed, unmasked) text frames to. */
  readonly _socket = {
    writableLength: 0,
    destroyed: false,
    cork() {},
    uncork() {},
    write: (frame: Buffer) => {
      const length = frame[1]! & 0x7f;
      const headerLength = length < 126 ? 2 : length === 126 ? 4 : 10;
      this.sent.push(JSON.parse(frame.subarray(headerLength).toString()) as Record<string, unknown>);
      return true;
    },
  };
  close() {}
}

function session(socket: FakeSocket, policy = createPolicy(builtInPolicy), role: Role = 'viewer') {
  const logger = pino({ level: 'silent' });
  const broker = new MemoryBroker({ historySize: 0 });
  return new Session(
    socket as unknown as WebSocket,
    { userId: 'u', role, exp: undefined },
    {
      hub: new Hub(broker, logger),
      broker,
      tasks: { get: () => undefined, mayUpdate: () => false },
      policy,
      auth: createAuth(new Uint8Array(32)),
      metrics: createMetrics({ defaultMetrics: false }),
      logger,
      now: Date.now,
      heartbeatIntervalMs: 1000,
      maxBufferedBytes: 1 << 20,
      closeGraceMs: 10,
      onClose: () => {},
    },
  );
}

describe('session heartbeat', () => {
  it('terminates a peer that did not answer the previous ping', () => {
    const socket = new FakeSocket();
    const s = session(socket);
    expect(s.state).toBe('open');
    s.heartbeat();
    expect(socket.pings).toBe(1);
    expect(s.state).toBe('awaiting-pong');
    s.heartbeat();
    expect(socket.terminated).toBe(true);
    expect(s.state).toBe('closing');
    socket.emit('close', 1006);
    expect(s.state).toBe('closed');
    s.heartbeat();
    expect(socket.pings).toBe(1);
  });

  it('any frame from the peer counts as an answer', () => {
    const socket = new FakeSocket();
    const s = session(socket);
    s.heartbeat();
    socket.emit('message', Buffer.from('{"action":"ping"}'), false);
    expect(s.state).toBe('open');
  });

  it('keeps a peer whose pong arrived', () => {
    const socket = new FakeSocket();
    const s = session(socket);
    s.heartbeat();
    socket.emit('pong');
    s.heartbeat();
    expect(socket.terminated).toBe(false);
    expect(socket.pings).toBe(2);
  });

  it('does not judge a peer while our own frames are still queued (the ping may not have left)', () => {
    const socket = new FakeSocket();
    const s = session(socket);
    s.heartbeat();
    socket.bufferedAmount = 64 * 1024; // e.g. behind data the peer has not read yet
    s.heartbeat();
    s.heartbeat();
    expect(socket.terminated).toBe(false);
    socket.bufferedAmount = 0;
    s.heartbeat();
    expect(socket.terminated).toBe(true);
  });
});

describe('session rate limit', () => {
  const policy = createPolicy({
    roles: {
      viewer: { subscribe: ['*'], publish: [] },
      operator: { subscribe: ['*'], publish: ['*'], rate: { perSecond: 0.001, burst: 3 } },
    },
  });

  it("uses the rate of the connection's role, and the error carries the dropped frame's id", async () => {
    const socket = new FakeSocket();
    session(socket, policy, 'operator');
    for (let i = 0; i < 5; i++) socket.emit('message', Buffer.from(JSON.stringify({ action: 'ping', id: i })), false);
    await new Promise((resolve) => setImmediate(resolve));
    const replies = socket.sent.filter((f) => f.type !== 'connected');
    expect(replies.filter((f) => f.type === 'pong').map((f) => f.id)).toEqual([0, 1, 2]);
    expect(replies.filter((f) => f.type === 'error')).toEqual([
      expect.objectContaining({ code: 'rate_limited', id: 3 }),
      expect.objectContaining({ code: 'rate_limited', id: 4 }),
    ]);
  });

  it('a role without a rate of its own gets 100/s, bursts of 200', async () => {
    const socket = new FakeSocket();
    session(socket, policy, 'viewer');
    for (let i = 0; i < 205; i++) socket.emit('message', Buffer.from('{"action":"ping"}'), false);
    await new Promise((resolve) => setImmediate(resolve));
    expect(socket.sent.filter((f) => f.type === 'pong').length).toBeGreaterThanOrEqual(200);
    expect(socket.sent.filter((f) => f.type === 'pong').length).toBeLessThan(205);
  });
});
