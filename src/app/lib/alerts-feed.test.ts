import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Alert } from '@nexus-realtime/client/protocol';
import { alertsStore, resetAlerts } from '../store/alerts-store';
import { startAlertsFeed } from './alerts-feed';

const STARTED = '2026-12-07T17:00:00.000Z';
const alert = (id: string, state: Alert['state'] = 'firing'): Alert => ({
  id,
  rule: 'silent',
  agent_id: `agent_${id}`,
  severity: 'warning',
  state,
  started_at: STARTED,
  ...(state === 'resolved' ? { resolved_at: '2026-12-07T17:01:00.000Z' } : {}),
});

type Listener = (context: unknown) => void;

function fakeClient() {
  const listeners = new Map<string, Listener>();
  const client = {
    state: 'open',
    on: (name: string, listener: Listener) => (listeners.set(name, listener), () => listeners.delete(name)),
    subscribe: vi.fn(() => new Promise<never>(() => undefined)),
  };
  const emit = (name: string, context?: unknown) => listeners.get(name)!(context);
  return { client, emit, listeners };
}

describe('startAlertsFeed', () => {
  const frames: FrameRequestCallback[] = [];
  const runFrames = () => frames.splice(0).forEach((frame) => frame(0));
  beforeEach(() => {
    vi.stubGlobal('requestAnimationFrame', (callback: FrameRequestCallback) => frames.push(callback));
    vi.stubGlobal('cancelAnimationFrame', () => undefined);
  });
  afterEach(() => {
    resetAlerts();
    frames.length = 0;
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });

  it('subscribes to alerts and applies a thousand alerts firing at once in one store update', async () => {
    const { client, emit } = fakeClient();
    const load = vi.fn(() => Promise.resolve([alert('old')]));
    startAlertsFeed(client as never, load);
    expect(client.subscribe).toHaveBeenCalledWith('alerts');
    emit('connected', {});
    await vi.waitFor(() => expect(alertsStore.getState().live).toBe(true));
    expect(alertsStore.getState().firingCount).toBe(1);

    const updates = vi.fn();
    const off = alertsStore.subscribe(updates);
    for (let i = 0; i < 1000; i++) emit('alerts', alert(`n${i}`));
    emit('alerts', { not: 'an alert' });
    expect(updates).not.toHaveBeenCalled();
    runFrames();
    expect(updates).toHaveBeenCalledTimes(1);
    expect(alertsStore.getState().firingCount).toBe(1001);
    emit('alerts', alert('n1', 'resolved'));
    runFrames();
    expect(alertsStore.getState().firingCount).toBe(1000);
    off();
  });

  it('is not live while disconnected, and reloads after a reconnect: the answer replaces what it held', async () => {
    const { client, emit } = fakeClient();
    const answers = [[alert('a'), alert('b')], [alert('a', 'resolved')]];
    const load = vi.fn(() => Promise.resolve(answers.shift()!));
    startAlertsFeed(client as never, load);
    emit('connected', {});
    await vi.waitFor(() => expect(alertsStore.getState().firingCount).toBe(2));

    client.state = 'reconnecting';
    emit('state', { next: 'reconnecting' });
    expect(alertsStore.getState().live).toBe(false);
    expect(alertsStore.getState().firingCount).toBe(2); // the last count, marked not live

    client.state = 'open';
    emit('state', { next: 'open' });
    emit('connected', {});
    await vi.waitFor(() => expect(alertsStore.getState().live).toBe(true));
    expect(alertsStore.getState().firingCount).toBe(0);
    expect([...alertsStore.getState().byId.keys()]).toEqual(['a']);
  });

  it('keeps an alert that fired while the reload was in flight, and reloads after a gap on alerts', async () => {
    const { client, emit } = fakeClient();
    let answer: (alerts: Alert[]) => void = () => undefined;
    const load = vi.fn(() => new Promise<Alert[]>((resolve) => (answer = resolve)));
    startAlertsFeed(client as never, load);
    emit('connected', {});
    emit('alerts', alert('raced'));
    answer([alert('a')]);
    await vi.waitFor(() => expect(alertsStore.getState().live).toBe(true));
    expect([...alertsStore.getState().byId.keys()].sort()).toEqual(['a', 'raced']);

    emit('gap', { channel: 'tasks' });
    expect(load).toHaveBeenCalledTimes(1);
    emit('gap', { channel: 'alerts' });
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('says why a load failed and asks again a few seconds later', async () => {
    vi.useFakeTimers();
    const { client, emit } = fakeClient();
    const load = vi
      .fn<() => Promise<Alert[]>>()
      .mockRejectedValueOnce(new Error('boom'))
      .mockResolvedValue([alert('a')]);
    startAlertsFeed(client as never, load);
    emit('connected', {});
    await vi.advanceTimersByTimeAsync(0);
    expect(alertsStore.getState().loadError).toBeTruthy();
    expect(alertsStore.getState().live).toBe(false);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(load).toHaveBeenCalledTimes(2);
    expect(alertsStore.getState().live).toBe(true);
    expect(alertsStore.getState().loadError).toBeUndefined();
  });
});
