/**
 * The worker core behind the page's interface, run in this thread with an in-memory WebSocket:
 * the page gets client events, subscribe/publish results, log rows as preview strings (no
 * payload objects), prepared charts in typed arrays, and the channels it listens to.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { inThread } from './in-thread';
import { chartRedrawMs } from './worker-core';
import type { DataMessage } from './worker-client';
import { FakeSocket } from '../../../packages/client/src/testing/fake-socket';

const flush = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

function telemetry(seq: number, agentId: string, cpu: number, atMs = Date.now()) {
  return {
    type: 'message',
    channel: 'telemetry',
    from: agentId,
    data: { agent_id: agentId, cpu_usage: cpu },
    timestamp: new Date(atMs).toISOString(),
    seq,
    epoch: 'e1',
  };
}

beforeEach(() =>
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance'] }),
);
afterEach(() => vi.useRealTimers());

describe('the worker core in this thread', () => {
  it('connects with the page’s token, forwards events, answers subscribe and publish', async () => {
    const provideToken = vi.fn(() => Promise.resolve('tok-1'));
    const client = inThread('ws://nexus.test/ws', provideToken, { WebSocket: FakeSocket });
    const states: string[] = [];
    client.on('state', ({ next }) => states.push(next));
    client.connect();
    await flush();
    expect(provideToken).toHaveBeenCalledOnce();
    expect(FakeSocket.last!.url).toContain('token=tok-1');
    FakeSocket.last!.welcome();
    expect(states).toEqual(['connecting', 'open']);
    expect(client.state).toBe('open');

    const subscribed = client.subscribe('telemetry');
    const request = FakeSocket.last!.request('subscribe');
    FakeSocket.last!.deliver({ type: 'subscribed', id: request.id, channel: 'telemetry', seq: 4, epoch: 'e1' });
    expect(await subscribed).toEqual({ ok: true, seq: 4, epoch: 'e1' });

    const published = client.publish('events', { hello: 1 });
    const publish = FakeSocket.last!.request('publish');
    FakeSocket.last!.deliver({ type: 'ack', id: publish.id, channel: 'events', seq: 9, epoch: 'e2' });
    expect(await published).toEqual({ ok: true, seq: 9, channel: 'events', epoch: 'e2' });
    client.disconnect();
  });

  it('sends log rows as preview strings, charts as typed arrays after the history, and listened channels', async () => {
    const client = inThread('ws://nexus.test/ws', () => Promise.resolve('tok'), { WebSocket: FakeSocket });
    const data: DataMessage[] = [];
    client.onData((message) => data.push(message));
    const tasks: unknown[] = [];
    client.on('tasks', (payload) => tasks.push(payload));
    client.connect();
    await flush();
    FakeSocket.last!.welcome();
    // The worker subscribes to the fleet summaries itself; deliveries wait for that resync.
    expect(FakeSocket.last!.request('subscribe')).toMatchObject({ channel: 'telemetry.fleet' });
    FakeSocket.last!.answerSync();
    const now = Date.now();
    // Live frames before the history arrives wait for it.
    FakeSocket.last!.deliver(telemetry(3, 'agent_1', 30, now - 1000));
    FakeSocket.last!.deliver({ ...telemetry(4, 'x', 0), channel: 'tasks', data: { task_id: 't1' } });
    await vi.advanceTimersByTimeAsync(300);
    expect(data.filter((m) => m.type === 'telemetry')).toHaveLength(0);
    client.loadHistory({
      channel: 'telemetry',
      epoch: 'e1',
      seq: 2,
      messages: [1, 2].map((seq) => ({
        seq,
        data: { agent_id: 'agent_1', cpu_usage: 10 * seq },
        timestamp: new Date(now - 10_000 + seq * 1000).toISOString(),
      })),
    });
    await vi.advanceTimersByTimeAsync(600);

    const log = data.flatMap((m) => (m.type === 'log' ? m.rows : []));
    expect(log.map((row) => [row.channel, row.preview])).toEqual([
      ['telemetry', '{"agent_id":"agent_1","cpu_usage":30}'],
      ['tasks', '{"task_id":"t1"}'],
    ]);
    expect(log.every((row) => row.data === undefined)).toBe(true);
    expect(tasks).toEqual([{ task_id: 't1' }]);

    const prepared = data.filter((m) => m.type === 'telemetry').at(-1)!;
    if (prepared.type !== 'telemetry') throw new Error('unreachable');
    expect(prepared.agents).toEqual(['agent_1']);
    expect(prepared.metrics).toEqual(['cpu_usage']);
    const [chart] = prepared.charts;
    expect(chart!.metric).toBe('cpu_usage');
    expect(chart!.values).toBeInstanceOf(Float64Array);
    // History first, then the held live frame: 10, 20, 30 in time order.
    expect([...chart!.values].filter((v) => !Number.isNaN(v)).slice(-1)).toEqual([30]);
    expect(prepared.summaries?.get('agent_1')?.latest).toEqual({ cpu_usage: 30 });

    // Between redraws only the legend values travel: a new value is on its way at once.
    data.length = 0;
    FakeSocket.last!.deliver(telemetry(5, 'agent_1', 55));
    await vi.advanceTimersByTimeAsync(250);
    const legends = data.filter((m) => m.type === 'legends');
    expect(legends).toHaveLength(1);
    if (legends[0]!.type !== 'legends') throw new Error('unreachable');
    expect([...legends[0]!.legends[0]!.values]).toEqual([55]);
    expect(legends[0]!.generation).toBe(chart!.generation);
    expect(data.filter((m) => m.type === 'telemetry')).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1000);
    expect(data.filter((m) => m.type === 'telemetry')).toHaveLength(1);
    client.disconnect();
  });

  it('prepares no chart while paused', async () => {
    const client = inThread('ws://nexus.test/ws', () => Promise.resolve('tok'), { WebSocket: FakeSocket });
    const prepared: DataMessage[] = [];
    client.onData((message) => message.type === 'telemetry' && prepared.push(message));
    client.setView({ windowMs: 60_000, hiddenAgents: [], pinnedAgents: [], pickedMetrics: null, paused: true });
    client.loadHistory(undefined);
    client.connect();
    await flush();
    FakeSocket.last!.welcome();
    FakeSocket.last!.deliver(telemetry(1, 'agent_1', 5));
    await vi.advanceTimersByTimeAsync(3000);
    expect(prepared).toHaveLength(0);
    client.setView({ windowMs: 60_000, hiddenAgents: [], pinnedAgents: [], pickedMetrics: null, paused: false });
    await vi.advanceTimersByTimeAsync(10);
    expect(prepared).toHaveLength(1);
    client.disconnect();
  });

  it('draws an hour’s charts every 5 s, not every second, while the legends take each new value', async () => {
    const client = inThread('ws://nexus.test/ws', () => Promise.resolve('tok'), { WebSocket: FakeSocket });
    const charts: DataMessage[] = [];
    const legends: DataMessage[] = [];
    client.onData((message) => {
      if (message.type === 'telemetry') charts.push(message);
      if (message.type === 'legends') legends.push(message);
    });
    const view = { windowMs: 60 * 60_000, hiddenAgents: [], pinnedAgents: [], pickedMetrics: null, paused: false };
    client.setView(view);
    client.loadHistory(undefined);
    client.connect();
    await flush();
    FakeSocket.last!.welcome();
    FakeSocket.last!.answerSync(); // the worker's own telemetry.fleet subscription
    await vi.advanceTimersByTimeAsync(100);
    const drawnAtStart = charts.length;
    for (let s = 1; s <= 20; s++) {
      FakeSocket.last!.deliver(telemetry(s, 'agent_1', s));
      await vi.advanceTimersByTimeAsync(1000);
    }
    // 20 s of values once a second: 4 redraws (one per 5 s), a legend for each value in between.
    expect(charts.length - drawnAtStart).toBeGreaterThanOrEqual(3);
    expect(charts.length - drawnAtStart).toBeLessThanOrEqual(5);
    expect(legends.length).toBeGreaterThanOrEqual(14);
    // A new view is drawn at once.
    const before = charts.length;
    client.setView({ ...view, windowMs: 60_000 });
    await vi.advanceTimersByTimeAsync(10);
    expect(charts.length).toBe(before + 1);
    client.disconnect();
  });
});

describe('rollups arriving one by one', () => {
  it('redraw just the chart of each answer, not every chart', async () => {
    const client = inThread('ws://nexus.test/ws', () => Promise.resolve('tok'), { WebSocket: FakeSocket });
    const posted: string[][] = [];
    client.onData((message) => message.type === 'telemetry' && posted.push(message.charts.map((c) => c.metric)));
    client.setView({ windowMs: 60 * 60_000, hiddenAgents: [], pinnedAgents: [], pickedMetrics: null, paused: false });
    client.loadHistory(undefined);
    await vi.advanceTimersByTimeAsync(100);
    const now = Date.now();
    const answer = (metric: string) => ({
      metric,
      step: '10s',
      stepMs: 10_000,
      fleet: [{ t: now - 600_000, min: 1, median: 2, max: 3, agents: 20 }],
      agents: new Map([['a', [{ t: now - 600_000, avg: 2, min: 1, max: 3, last: 2 }]]]),
    });
    client.loadRollups(answer('cpu_usage'));
    await vi.advanceTimersByTimeAsync(100);
    expect(posted.at(-1)).toEqual(['cpu_usage']);
    client.loadRollups(answer('memory_mb'));
    client.loadRollups(answer('queue_depth'));
    await vi.advanceTimersByTimeAsync(100);
    expect(posted.at(-1)).toEqual(['memory_mb', 'queue_depth']);
    // The regular redraw draws them all.
    await vi.advanceTimersByTimeAsync(5_000);
    expect(posted.at(-1)).toEqual(['cpu_usage', 'memory_mb', 'queue_depth']);
    client.disconnect();
  });
});

describe('chartRedrawMs', () => {
  it('redraws every second up to 12 min, then as the axis moves about half a pixel, at most every 10 s', () => {
    expect(chartRedrawMs(60_000)).toBe(1000);
    expect(chartRedrawMs(15 * 60_000)).toBe(1250);
    expect(chartRedrawMs(60 * 60_000)).toBe(5000);
    expect(chartRedrawMs(24 * 60 * 60_000)).toBe(10_000);
  });
});
