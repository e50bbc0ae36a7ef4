import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WebSocket } from 'ws';
import type { Role } from '@nexus-realtime/client/protocol';
import { createAuth } from '../auth.js';
import { MemoryBroker } from '../broker/index.js';
import { Hub } from '../fanout/index.js';
import { createMetrics } from '../metrics.js';
import { builtInPolicy, createPolicy } from '../policy.js';
import { ConnectionRegistry, type ConnectionContext } from './registry.js';

/** Just enough of a ws socket for a session to open, be pinged and close. */
class FakeSocket extends EventEmitter {
  readyState = 1;
  bufferedAmount = 0;
  isPaused = false;
  pings = 0;
  closedWith: number | undefined;
  terminated = false;
  readonly _socket = { writableLength: 0, destroyed: false, cork() {}, uncork() {}, write: () => true };
  ping() {
    this.pings++;
  }
  close(code: number) {
    this.closedWith = code;
  }
  terminate() {
    this.terminated = true;
    this.emit('close', 1006);
  }
}

const HEARTBEAT_MS = 1000;

function setUp() {
  const logger = pino({ level: 'silent' });
  const broker = new MemoryBroker({ historySize: 0, sweepIntervalMs: 0 });
  const metrics = createMetrics({ defaultMetrics: false });
  const closed: string[] = [];
  const registry = new ConnectionRegistry({
    metrics,
    logger,
    heartbeatIntervalMs: HEARTBEAT_MS,
    onClosed: (session) => closed.push(session.principal.userId),
  });
  const context: ConnectionContext = {
    hub: new Hub(broker, logger),
    broker,
    tasks: { get: () => undefined, mayUpdate: () => false },
    policy: createPolicy(builtInPolicy),
    auth: createAuth(new Uint8Array(32)),
    metrics,
    logger,
    now: Date.now,
    heartbeatIntervalMs: HEARTBEAT_MS,
    maxBufferedBytes: 1 << 20,
    closeGraceMs: 10,
  };
  const open = (userId: string, role: Role = 'viewer', agentId?: string) => {
    const socket = new FakeSocket();
    const principal = { userId, role, exp: undefined, ...(agentId === undefined ? {} : { agentId }) };
    const session = registry.open(socket as unknown as WebSocket, principal, '127.0.0.1', context);
    return { socket, session };
  };
  const gauge = async () => (await metrics.connections.get()).values[0]?.value;
  return { registry, open, closed, gauge };
}

describe('ConnectionRegistry', () => {
  afterEach(() => vi.useRealTimers());

  it('counts the open sessions and each agent’s connections, and forgets a session once it closes', async () => {
    const { registry, open, closed, gauge } = setUp();
    const first = open('agent_1', 'agent', 'agent_1');
    open('agent_1', 'agent', 'agent_1');
    open('vera');
    expect(registry.size).toBe(3);
    expect(await gauge()).toBe(3);
    expect([...registry.localAgents]).toEqual([['agent_1', 2]]);

    first.socket.emit('close', 1000);
    expect(registry.size).toBe(2);
    expect(await gauge()).toBe(2);
    expect([...registry.localAgents]).toEqual([['agent_1', 1]]);
    expect(closed).toEqual(['agent_1']);
    await registry.close(10);
    expect(registry.localAgents.size).toBe(0);
  });

  it('pings every session once per heartbeat interval', async () => {
    vi.useFakeTimers();
    const { registry, open } = setUp();
    const { socket } = open('vera');
    vi.advanceTimersByTime(HEARTBEAT_MS);
    expect(socket.pings).toBe(1);
    socket.emit('pong');
    vi.advanceTimersByTime(HEARTBEAT_MS);
    expect(socket.pings).toBe(2);
    const closing = registry.close(10);
    vi.advanceTimersByTime(10);
    await closing;
    vi.advanceTimersByTime(5 * HEARTBEAT_MS);
    expect(socket.pings).toBe(2);
  });

  it('closes every session with 1012 and destroys the sockets still open after the grace period', async () => {
    const { registry, open } = setUp();
    const polite = open('vera');
    const stuck = open('otto');
    const closing = registry.close(20);
    expect(polite.socket.closedWith).toBe(1012);
    expect(stuck.socket.closedWith).toBe(1012);
    polite.socket.emit('close', 1012);
    await closing;
    expect(polite.socket.terminated).toBe(false);
    expect(stuck.socket.terminated).toBe(true);
    expect(registry.size).toBe(0);
  });
});
