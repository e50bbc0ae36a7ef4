/**
 * The `telemetry` subscription follows the worker's demand: whole for a small fleet, filtered to
 * the drawn agents for a large one (its row in the Subscriptions panel shows the filter), and a
 * subscription the person removed is left alone.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { subscriptionsStore } from '../store/subscriptions-store';
import type { WorkerClient } from '../worker';
import { applyTelemetryDemand, startTelemetryFeed } from './telemetry-feed';
import { queryClient } from './query-client';
import { getTelemetryMetrics } from './telemetry-metrics-query';

vi.mock('./telemetry-metrics-query', () => ({
  getTelemetryMetrics: vi.fn(),
  TELEMETRY_METRICS_KEY: ['telemetry-metrics'],
}));

function fakeClient() {
  return {
    subscribe: vi.fn(() => Promise.resolve({ ok: true as const, seq: 0, epoch: 'e' })),
    unsubscribe: vi.fn(),
  };
}
const rows = () => subscriptionsStore.getState().subscriptions.map(({ channel, filters }) => ({ channel, filters }));

beforeEach(() => {
  subscriptionsStore.setState({ subscriptions: [{ channel: 'tasks', filters: undefined, status: 'active' }] });
});

describe('telemetry feed', () => {
  it('a small fleet is subscribed whole at once, then filtered when the fleet grows, and whole again', async () => {
    vi.mocked(getTelemetryMetrics).mockResolvedValue([{ metric: 'cpu', agents: 5 }]);
    const client = fakeClient();
    await startTelemetryFeed(client as unknown as WorkerClient);
    expect(client.subscribe).toHaveBeenCalledWith('telemetry', undefined);
    expect(rows()).toEqual([
      { channel: 'telemetry', filters: undefined },
      { channel: 'tasks', filters: undefined },
    ]);
    applyTelemetryDemand(client as unknown as WorkerClient, null);
    expect(client.subscribe).toHaveBeenCalledTimes(1);

    applyTelemetryDemand(client as unknown as WorkerClient, ['a', 'b']);
    expect(client.unsubscribe).toHaveBeenCalledWith('telemetry');
    expect(client.subscribe).toHaveBeenLastCalledWith('telemetry', { agent_id: ['a', 'b'] });
    expect(rows()[0]).toEqual({ channel: 'telemetry', filters: { agent_id: ['a', 'b'] } });

    applyTelemetryDemand(client as unknown as WorkerClient, null);
    expect(client.subscribe).toHaveBeenLastCalledWith('telemetry', undefined);
    expect(rows()).toHaveLength(2);
  });

  it('a large fleet is not subscribed whole even for a moment: the first demand says which agents', async () => {
    vi.mocked(getTelemetryMetrics).mockResolvedValue([{ metric: 'cpu', agents: 10_000 }]);
    const client = fakeClient();
    await startTelemetryFeed(client as unknown as WorkerClient);
    expect(client.subscribe).not.toHaveBeenCalled();
    applyTelemetryDemand(client as unknown as WorkerClient, ['x']);
    expect(client.subscribe).toHaveBeenCalledExactlyOnceWith('telemetry', { agent_id: ['x'] });
    expect(client.unsubscribe).not.toHaveBeenCalled();
  });

  it('shares the request for the metric list with the charts when both ask as the page opens', async () => {
    let answer: (list: { metric: string; agents: number }[]) => void = () => undefined;
    vi.mocked(getTelemetryMetrics).mockReset();
    vi.mocked(getTelemetryMetrics).mockReturnValue(new Promise((resolve) => (answer = resolve)));
    const charts = queryClient.fetchQuery({
      queryKey: ['telemetry-metrics'],
      queryFn: () => getTelemetryMetrics(),
      staleTime: 0,
    });
    const client = fakeClient();
    const feed = startTelemetryFeed(client as unknown as WorkerClient);
    answer([{ metric: 'cpu', agents: 10_000 }]);
    await Promise.all([charts, feed]);
    expect(getTelemetryMetrics).toHaveBeenCalledTimes(1);
    expect(client.subscribe).not.toHaveBeenCalled(); // a large fleet: it waits for the first demand
    applyTelemetryDemand(client as unknown as WorkerClient, null); // consumes the wait
  });

  it('leaves a telemetry subscription the person removed alone', () => {
    const client = fakeClient();
    applyTelemetryDemand(client as unknown as WorkerClient, ['a']);
    expect(client.subscribe).not.toHaveBeenCalled();
    expect(rows()).toEqual([{ channel: 'tasks', filters: undefined }]);
  });
});
