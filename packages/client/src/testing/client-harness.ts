/**
 * What the client's scenario tests share: a client on the fake socket with fake timers and a
 * fixed `random`, a log of every event it emits, and steps that read like the story they tell
 * (open the client, wait for the next socket, answer a subscribe, deliver a message).
 */
import { afterEach, beforeEach, expect, vi } from 'vitest';
import type { ClientEvents, StateChange } from '../events.js';
import { NexusWebSocket, type NexusWebSocketOptions } from '../nexus-websocket.js';
import type { TokenProvider } from '../token.js';
import { FakeSocket, type Sent } from './fake-socket.js';

export { FakeNetwork, FakeSocket, type Sent } from './fake-socket.js';

export const URL_BASE = 'ws://nexus.test/ws';
const clients: NexusWebSocket[] = [];

/** Fake timers and a fresh list of sockets for each test; every client disconnected after it. */
export function useClientScenarios(): void {
  beforeEach(() => {
    vi.useFakeTimers();
    FakeSocket.reset();
  });
  afterEach(() => {
    for (const client of clients.splice(0)) client.disconnect();
    vi.useRealTimers();
  });
}

/** Lets the client's promise chains (token provider, etc.) run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

export async function advance(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
  await flush();
}

export function sockets(): FakeSocket[] {
  return FakeSocket.instances;
}

export function lastSocket(): FakeSocket {
  return FakeSocket.last;
}

/** Remembers a client made without `harness()`, so it is disconnected after the test. */
export function track(client: NexusWebSocket): NexusWebSocket {
  clients.push(client);
  return client;
}

/** A client on the fake socket (random 0.5) with a log of each of its events. */
export function harness(token: TokenProvider = 'tok', options: NexusWebSocketOptions = {}) {
  const client = track(new NexusWebSocket(URL_BASE, token, { WebSocket: FakeSocket, random: () => 0.5, ...options }));
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
    health: record('health'),
  };
  return { client, log };
}

export type Harness = ReturnType<typeof harness>;

/** connect() and welcome the first socket. */
export async function openClient(client: NexusWebSocket): Promise<FakeSocket> {
  client.connect();
  await flush();
  const socket = lastSocket();
  socket.welcome();
  expect(client.state).toBe('open');
  return socket;
}

/** Waits out the scheduled reconnect delay and returns the new socket. */
export async function nextSocket(log: Harness['log']): Promise<FakeSocket> {
  const count = sockets().length;
  const scheduled = log.reconnecting.at(-1);
  if (!scheduled) throw new Error('no reconnect is scheduled');
  await advance(scheduled.delayMs);
  expect(sockets()).toHaveLength(count + 1);
  return lastSocket();
}

/** The server's `subscribed` answer to a subscribe frame. */
export function subscribedReply(request: Sent, seq: number, epoch: string, recovered?: boolean): object {
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

/** A channel message from the server. */
export function delivery(channel: string, seq: number, epoch: string, data: unknown = { seq }): object {
  return { type: 'message', channel, from: 'someone', data, timestamp: new Date().toISOString(), seq, epoch };
}

/** `previous>next` of each state change. */
export function transitions(states: readonly StateChange[]): string[] {
  return states.map((s) => `${s.previous}>${s.next}`);
}

/** An unsigned JWT with this `exp` (the client reads claims without verifying). */
export function fakeJwt(exp: number): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'HS256' })}.${encode({ userId: 'u1', exp, n: Math.random() })}.sig`;
}
