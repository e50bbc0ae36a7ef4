import { beforeEach, describe, expect, it } from 'vitest';
import { subscriptionsStore } from '../store/subscriptions-store';
import { applySubscribeResult, markAllPending, markChannelActive, takeRefused } from './subscription-status';

const statuses = () => subscriptionsStore.getState().subscriptions.map((s) => `${s.channel}:${s.status}`);

beforeEach(() => {
  subscriptionsStore.setState({
    subscriptions: [
      { channel: 'telemetry', filters: undefined, status: 'pending' },
      { channel: 'tasks', filters: { status: 'running' }, status: 'pending' },
      { channel: 'secret', filters: undefined, status: 'pending' },
    ],
  });
});

describe('subscription status follows the connection', () => {
  it('active when the server confirms, pending again when the connection is not open', () => {
    applySubscribeResult('telemetry', undefined, { ok: true, seq: 1, epoch: 'e' });
    applySubscribeResult('tasks', { status: 'running' }, { ok: true, seq: 1, epoch: 'e' });
    expect(statuses()).toEqual(['telemetry:active', 'tasks:active', 'secret:pending']);
    markAllPending();
    expect(statuses()).toEqual(['telemetry:pending', 'tasks:pending', 'secret:pending']);
    markChannelActive('tasks');
    expect(statuses()).toEqual(['telemetry:pending', 'tasks:active', 'secret:pending']);
  });

  it('a subscribe cut short by disconnect() or a lost connection is pending, not an error', () => {
    applySubscribeResult('telemetry', undefined, { ok: false, code: 'closed', message: 'disconnect() was called' });
    applySubscribeResult('secret', undefined, { ok: false, code: 'disconnected', message: 'connection closed' });
    expect(statuses()).toEqual(['telemetry:pending', 'tasks:pending', 'secret:pending']);
    expect(subscriptionsStore.getState().subscriptions.some((s) => s.error)).toBe(false);
  });

  it('a refusal by the server is an error until the person signs in again', () => {
    applySubscribeResult('secret', undefined, { ok: false, code: 'forbidden', message: 'not allowed' });
    expect(statuses()).toEqual(['telemetry:pending', 'tasks:pending', 'secret:error']);
    expect(subscriptionsStore.getState().subscriptions[2]!.error).toBe('forbidden: not allowed');
    markAllPending();
    markChannelActive('telemetry');
    expect(statuses()).toEqual(['telemetry:active', 'tasks:pending', 'secret:error']);
    expect(takeRefused().map((s) => s.channel)).toEqual(['secret']);
    expect(statuses()).toEqual(['telemetry:active', 'tasks:pending', 'secret:pending']);
    expect(subscriptionsStore.getState().subscriptions[2]!.error).toBeUndefined();
  });
});
