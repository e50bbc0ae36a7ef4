/**
 * The bridge from the worker (a Web Worker) to the stores. The worker sends prepared
 * charts, log rows and the rate; the bridge hands them to the stores — charts one per animation
 * frame, so no frame draws more than one — and sends back what the charts should show. The
 * connection's state goes into every panel that must not show stale state as live: subscriptions
 * go `pending` while not open, tasks are loaded again after a reconnect or a gap on `tasks`, and
 * while reconnecting the page watches the server to come back at once. `/healthz` is read every
 * few seconds, so a Redis outage on the server's process shows on the page.
 */
import { ClientErrorCode } from '@nexus-realtime/client';
import { Channel } from '@nexus-realtime/client/protocol';
import { unpackChart, type ChartView, type DataMessage, type PackedChart, type WorkerClient } from '../worker';
import { setChart, setLatest } from '../store/chart-store';
import { connectionStore } from '../store/connection-store';
import { appendEntries } from '../store/message-log-store';
import { telemetryStore, type TelemetrySlice } from '../store/telemetry-store';
import { createFrameScheduler } from './frame-scheduler';
import { chartWindow } from './time-range';
import { redisProblem } from './health';
import { createHealthWatch } from './health-watch';
import { queryClient } from './query-client';
import { createServerWatch } from './server-watch';
import { markAllPending, markChannelActive } from './subscription-status';
import { applyTelemetryDemand } from './telemetry-feed';
import { fetchTelemetryHistory } from './telemetry-history';

/** The tasks query key (kept here as a literal: lib must not import a feature). */
const TASKS_QUERY_KEY = ['tasks'] as const;

/** Wires the worker to the stores; returns the function that stops its timers. */
export function wire(client: WorkerClient): () => void {
  const charts = createChartApplier();
  client.onData((message) =>
    message.type === 'telemetry-demand' ? applyTelemetryDemand(client, message.agentIds) : onData(message, charts),
  );
  const watch = createServerWatch(() => client.reconnectNow());
  client.on('state', ({ next, reason }) => {
    connectionStore.setState({
      state: next,
      reason,
      attempt: client.attempt,
      nextRetryAt: client.nextRetryAt,
      queued: client.queuedCount,
      // A round-trip time belongs to an open connection: none is shown while there is none.
      ...(next === 'open' ? {} : { rttMs: undefined }),
    });
    if (next !== 'open') markAllPending();
    if (next === 'reconnecting') watch.start();
    else watch.stop();
  });
  client.on('reconnect_failed', ({ code, reason }) => {
    const tokenRefused = code === ClientErrorCode.AuthRefused || code === ClientErrorCode.TokenExpired;
    if (!tokenRefused || connectionStore.getState().authMode !== 'production') return;
    connectionStore.setState({
      authError: `The server refused the token (${reason}). Paste a new one.`,
      needsToken: true,
    });
  });
  const stopHealth = createHealthWatch((health) => connectionStore.setState({ redis: redisProblem(health) }));
  client.on('subscribed', ({ channel }) => markChannelActive(channel));
  client.on('reconnecting', ({ attempt, nextRetryAt }) => connectionStore.setState({ attempt, nextRetryAt }));
  // A pong that lands after the connection dropped does not bring a stale figure back.
  client.on('rtt', ({ rttMs }) => client.state === 'open' && connectionStore.setState({ rttMs }));
  let historyRequested = false;
  // Server state (tasks, agents) may have changed while disconnected: fetch it again.
  // The round-trip time is shown at once, not one heartbeat interval later.
  // Who the person is, as the server decided it (a provider token's role comes from its groups).
  client.on('connected', ({ userId, role }) => {
    connectionStore.setState({ userId, role });
    void queryClient.invalidateQueries();
    client.checkLiveness();
    if (historyRequested) return;
    historyRequested = true; // once per page: the first connection fills the charts with the recent past
    fetchTelemetryHistory().then(
      (page) => client.loadHistory(page),
      () => client.loadHistory(undefined),
    );
  });
  client.on('gap', ({ channel }) => {
    if (channel === Channel.Tasks) void queryClient.invalidateQueries({ queryKey: TASKS_QUERY_KEY });
  });
  const stopView = syncView(client);
  const onVisible = () => document.visibilityState === 'visible' && client.checkLiveness();
  document.addEventListener('visibilitychange', onVisible);
  return () => {
    charts.cancel();
    watch.stop();
    stopHealth();
    stopView();
    document.removeEventListener('visibilitychange', onVisible);
  };
}

function onData(
  message: Exclude<DataMessage, { type: 'telemetry-demand' }>,
  charts: ReturnType<typeof createChartApplier>,
): void {
  switch (message.type) {
    case 'log':
      return appendEntries(message.rows);
    case 'legends':
      return setLatest(message.generation, message.legends);
    case 'rate':
      return connectionStore.setState({
        messagesPerSecond: message.messagesPerSecond,
        queued: message.snapshot.queuedCount,
      });
    case 'telemetry': {
      const { agents, metrics, summaries } = message;
      telemetryStore.setState((s) => ({
        version: s.version + 1,
        ...(sameList(s.agents, agents) ? {} : { agents: [...agents] }),
        ...(sameList(s.metrics, metrics) ? {} : { metrics: [...metrics] }),
        ...(summaries ? { summaries } : {}),
      }));
      return charts.add(message.charts);
    }
  }
}

/** Charts are handed to React one per animation frame: a dozen recharts renders in one task would hold the page. */
function createChartApplier() {
  const pending = new Map<string, PackedChart>();
  const scheduler = createFrameScheduler(() => {
    const [metric, chart] = pending.entries().next().value ?? [];
    if (metric === undefined || chart === undefined) return;
    pending.delete(metric);
    setChart(metric, { ...unpackChart(chart), generation: chart.generation });
    if (pending.size > 0) scheduler.schedule();
  });
  return {
    add(charts: readonly PackedChart[]) {
      for (const chart of charts) {
        pending.delete(chart.metric); // the newest goes to the back of the line
        pending.set(chart.metric, chart);
      }
      if (pending.size > 0) scheduler.schedule();
    },
    cancel: () => scheduler.cancel(),
  };
}

/** Sends the chart settings (and whether anything is watching) to the worker when they change. */
function syncView(client: WorkerClient): () => void {
  const viewOf = (s: TelemetrySlice): ChartView => ({
    ...chartWindow(s.range, s.zoom),
    hiddenAgents: s.hiddenAgents,
    pinnedAgents: s.pinnedAgents,
    pickedMetrics: s.pickedMetrics,
    paused: s.paused || document.hidden,
  });
  let last = viewOf(telemetryStore.getState());
  client.setView(last);
  const send = () => {
    const next = viewOf(telemetryStore.getState());
    const changed = (Object.keys(next) as (keyof ChartView)[]).some((key) => next[key] !== last[key]);
    if (!changed) return;
    last = next;
    client.setView(next);
  };
  const off = telemetryStore.subscribe(send);
  document.addEventListener('visibilitychange', send);
  return () => {
    off();
    document.removeEventListener('visibilitychange', send);
  };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
