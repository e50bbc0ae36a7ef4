import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { createAuth } from './auth.js';
import { MemoryBroker } from './broker/memory.js';
import { Hub } from './hub.js';
import { createMetrics } from './metrics.js';
import { builtInPolicy, createPolicy } from './policy.js';
import { Session } from './session.js';

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
  send() {}
  close() {}
}

function session(socket: FakeSocket) {
  const logger = pino({ level: 'silent' });
  const broker = new MemoryBroker({ historySize: 0 });
  return new Session(
    socket as unknown as WebSocket,
    { userId: 'u', role: 'viewer', exp: undefined },
    {
      hub: new Hub(broker, logger),
      broker,
      policy: createPolicy(builtInPolicy),
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
    s.heartbeat();
    expect(socket.pings).toBe(1);
    s.heartbeat();
    expect(socket.terminated).toBe(true);
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
    socket.bufferedAmount = 64 * 1024; // e.g. waiting for permessage-deflate
    s.heartbeat();
    s.heartbeat();
    expect(socket.terminated).toBe(false);
    socket.bufferedAmount = 0;
    s.heartbeat();
    expect(socket.terminated).toBe(true);
  });
});
