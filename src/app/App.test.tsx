// @vitest-environment happy-dom
/**
 * Live data re-renders the panels that show it, never the whole page: over five seconds of what
 * the worker sends (the rate each second, log rows twice a second, legends ten times a second,
 * charts and agent summaries each second, heartbeats), the layout renders a bounded number of
 * times — not once per tick with its seven panels.
 */
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, cleanup, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { setChart, setLatest } from './store/chart-store';
import { connectionStore } from './store/connection-store';
import { appendEntries } from './store/message-log-store';
import { telemetryStore } from './store/telemetry-store';
import { App } from './App';

/** App calls useNexusWebSocket once per render: counting the calls counts App's renders. */
const renders = vi.hoisted(() => ({ app: 0 }));
vi.mock('./hooks/use-nexus-websocket', async (importOriginal) => {
  const actual = await importOriginal<typeof import('./hooks/use-nexus-websocket')>();
  return {
    useNexusWebSocket: () => {
      renders.app++;
      actual.useNexusWebSocket();
    },
  };
});
// No socket: the test plays the worker's part by feeding the stores as the bridge does.
vi.mock('./lib/nexus', async (importOriginal) => ({
  ...(await importOriginal<typeof import('./lib/nexus')>()),
  startDashboard: vi.fn(async () => {}),
  nexus: () => ({ on: () => () => {}, onChannel: () => () => {} }),
}));
vi.mock('./lib/api-client', () => ({ apiGet: vi.fn(() => Promise.resolve([])) }));

const TICK_MS = 100;
const LIVE_MS = 5000;

/** What the bridge hands the stores at `elapsedMs` of live data. */
function liveTick(elapsedMs: number, logId: { next: number }): void {
  const nowMs = Date.now();
  setLatest(0, [{ metric: 'cpu_usage', values: Float64Array.of(elapsedMs % 97) }]);
  if (elapsedMs % 500 === 0)
    appendEntries(
      Array.from({ length: 20 }, () => ({
        id: ++logId.next,
        receivedAt: nowMs,
        type: 'message',
        channel: 'telemetry',
        data: undefined,
        preview: `{"agent_id":"agent_1","cpu_usage":${logId.next % 100}}`,
      })),
    );
  if (elapsedMs % 1000 !== 0) return;
  const second = elapsedMs / 1000;
  connectionStore.setState({ messagesPerSecond: 40 + second, rttMs: 3 + (second % 4) });
  telemetryStore.setState((s) => ({
    version: s.version + 1,
    agents: ['agent_1'],
    metrics: ['cpu_usage'],
    summaries: new Map([['agent_1', { lastSeenMs: nowMs, latest: { cpu_usage: second } }]]),
  }));
  setChart('cpu_usage', {
    generation: 0,
    rows: [{ time: nowMs - 1000, line0: second }],
    lines: [{ agentId: 'agent_1', color: '#000', dataKey: 'line0', latest: second }],
    fleet: false,
    agentCount: 1,
    endMs: nowMs,
  });
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  renders.app = 0;
  // happy-dom has no layout: recharts says so for every chart it draws.
  vi.spyOn(console, 'warn').mockImplementation(() => {});
  connectionStore.setState({ state: 'open', role: 'operator', userId: 'u1', authMode: 'dev' });
});
afterEach(() => {
  cleanup();
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('App', () => {
  it('renders a bounded number of times over 5 s of live data, however often the panels update', async () => {
    const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    render(
      <QueryClientProvider client={queryClient}>
        <App />
      </QueryClientProvider>,
    );
    // The lazily loaded telemetry panel arrives.
    await act(async () => {
      await import('./features/telemetry/components/telemetry-panel');
      await vi.advanceTimersByTimeAsync(0);
    });
    const rendersBeforeLiveData = renders.app;

    const logId = { next: 0 };
    for (let elapsedMs = TICK_MS; elapsedMs <= LIVE_MS; elapsedMs += TICK_MS)
      await act(async () => {
        liveTick(elapsedMs, logId);
        await vi.advanceTimersByTimeAsync(TICK_MS);
      });

    // The panels did get the live data…
    expect(screen.getByText('45 msg/s')).toBeTruthy();
    // …and the layout did not render with it.
    expect(rendersBeforeLiveData).toBeLessThanOrEqual(2);
    expect(renders.app - rendersBeforeLiveData).toBe(0);
  });
});
