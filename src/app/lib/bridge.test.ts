// @vitest-environment happy-dom
/**
 * The bridge with the worker core in this thread and an in-memory WebSocket: tasks are loaded
 * again after a reconnect and after a gap on `tasks`; subscriptions follow the connection.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { inThread } from '../worker/in-thread';
import { connectionStore } from '../store/connection-store';
import { subscriptionsStore } from '../store/subscriptions-store';
import { wire } from './bridge';
import { queryClient } from './query-client';
import { applySubscribeResult } from './subscription-status';
import { FakeSocket } from '../../../packages/client/src/testing/fake-socket';

vi.mock('./telemetry-history', () => ({ fetchTelemetryHistory: vi.fn(() => new Promise(() => {})) }));

const flush = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};
const token = () => Promise.resolve('tok');
const statuses = () => subscriptionsStore.getState().subscriptions.map((s) => s.status);

let stop: (() => void) | undefined;
let health = '{"status":"ok","broker":"memory","connections":1}';
beforeEach(() => {
  subscriptionsStore.setState({ subscriptions: [{ channel: 'tasks', filters: undefined, status: 'pending' }] });
  vi.stubGlobal(
    'fetch',
    vi.fn(() => Promise.resolve(new Response(health))),
  );
});
afterEach(() => {
  stop?.();
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

describe('bridge', () => {
  it('loads the tasks again after a reconnect and after a gap on tasks; subscriptions follow the connection', async () => {
    const invalidate = vi.spyOn(queryClient, 'invalidateQueries').mockResolvedValue();
    const client = inThread('ws://nexus.test/ws', token, { WebSocket: FakeSocket, initialDelayMs: 1 });
    stop = wire(client);
    void client.subscribe('tasks').then((result) => applySubscribeResult('tasks', undefined, result));
    client.connect();
    await flush();
    FakeSocket.last!.welcome();
    expect(invalidate).toHaveBeenCalledTimes(1); // connected: every server state again
    const request = FakeSocket.last!.sent.find((f) => f.action === 'subscribe')!;
    FakeSocket.last!.deliver({ type: 'subscribed', id: request.id, channel: 'tasks', seq: 3, epoch: 'e1' });
    await flush();
    expect(statuses()).toEqual(['active']);

    // The connection drops: pending until the server confirms again, which says history is gone.
    FakeSocket.last!.onclose?.({ code: 1006, reason: '' });
    expect(statuses()).toEqual(['pending']);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await flush();
    FakeSocket.last!.welcome();
    expect(invalidate).toHaveBeenCalledTimes(2);
    const again = FakeSocket.last!.sent.find((f) => f.action === 'subscribe')!;
    FakeSocket.last!.deliver({
      type: 'subscribed',
      id: again.id,
      channel: 'tasks',
      seq: 1,
      epoch: 'e2',
      recovered: false,
    });
    expect(statuses()).toEqual(['active']);
    expect(invalidate).toHaveBeenLastCalledWith({ queryKey: ['tasks'] });
    client.disconnect();
    await flush();
    expect(statuses()).toEqual(['pending']);
  });

  it('the round-trip time is cleared while not open; Redis down in /healthz reaches the store', async () => {
    vi.useFakeTimers();
    try {
      health = '{"status":"degraded","broker":"redis","redis":"down","connections":1}';
      const client = inThread('ws://nexus.test/ws', token, { WebSocket: FakeSocket, initialDelayMs: 1 });
      stop = wire(client);
      await vi.advanceTimersByTimeAsync(0);
      expect(connectionStore.getState().redis).toBe('down');
      client.connect();
      await vi.advanceTimersByTimeAsync(0);
      FakeSocket.last!.welcome();
      connectionStore.setState({ rttMs: 12 });
      FakeSocket.last!.onclose?.({ code: 1006, reason: '' });
      expect(connectionStore.getState().state).toBe('reconnecting');
      expect(connectionStore.getState().rttMs).toBeUndefined();
      health = '{"status":"ok","broker":"redis","redis":"up","connections":1}';
      await vi.advanceTimersByTimeAsync(5000);
      expect(connectionStore.getState().redis).toBeUndefined();
      client.disconnect();
    } finally {
      health = '{"status":"ok","broker":"memory","connections":1}';
      vi.useRealTimers();
    }
  });
});
