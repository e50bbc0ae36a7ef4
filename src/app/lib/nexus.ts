/**
 * The dashboard's one NexusWebSocket and the bridge that feeds the stores. Frames are ingested
 * outside React (telemetry into ring buffers, log entries into a pending batch) and published to
 * the stores at most once per animation frame — batched, never dropped. Components never touch
 * the socket: they read the stores and call the actions exported here.
 *
 * One instance per page, also under StrictMode (effects run twice) and hot reload (modules run
 * again): the instance lives on `globalThis` and `start()` is idempotent.
 */
import { NexusWebSocket, type Filters, type PublishResult } from '@nexus-realtime/client';
import { DEFAULT_CHANNELS, type DeliveryFrame } from '@nexus-realtime/client/protocol';
import { connectionStore } from '../store/connection-store';
import { appendEntries, type LogEntry } from '../store/message-log-store';
import { subscriptionsStore, type SubscriptionEntry } from '../store/subscriptions-store';
import { telemetryBuffers, telemetryStore } from '../store/telemetry-store';
import { fetchDevToken, storedToken, storeToken, tokenClaims, webSocketUrl } from './auth';
import { createFrameScheduler } from './frame-scheduler';
import { queryClient } from './query-client';

/** The dashboard retries forever, at most 30 s apart (CONTRACT §10). */
const RECONNECT = { initialDelayMs: 500, maxDelayMs: 30_000, factor: 2 } as const;
/** The message log is appended at most this often. */
const LOG_FLUSH_MS = 250;

interface Dashboard {
  readonly client: NexusWebSocket;
  started: boolean;
  stopTimers?: () => void;
}

const GLOBAL_KEY = '__nexusDashboard';
type GlobalWithDashboard = typeof globalThis & { [GLOBAL_KEY]?: Dashboard };

/** The page's client (created on first use). */
export function nexus(): NexusWebSocket {
  return dashboard().client;
}

function dashboard(): Dashboard {
  const scope = globalThis as GlobalWithDashboard;
  scope[GLOBAL_KEY] ??= { client: new NexusWebSocket(webSocketUrl(), provideToken, RECONNECT), started: false };
  return scope[GLOBAL_KEY];
}

const devUserId = `dashboard-${Math.random().toString(36).slice(2, 8)}`;

async function provideToken(): Promise<string> {
  const { authMode } = connectionStore.getState();
  if (authMode !== 'production') {
    // A network error propagates (the client retries with backoff); only a 404 means production.
    const token = await fetchDevToken(devUserId);
    if (token) {
      connectionStore.setState({ authMode: 'dev', ...identity(token) });
      return token;
    }
    connectionStore.setState({ authMode: 'production' });
  }
  const token = storedToken();
  if (!token) throw new Error('no token');
  const problem = await tokenProblem(token);
  if (problem) {
    connectionStore.setState({ needsToken: true, authError: problem });
    queueMicrotask(() => nexus().disconnect());
    throw new Error(problem);
  }
  connectionStore.setState(identity(token));
  return token;
}

/**
 * Browsers cannot see why an upgrade was refused, so the token is checked over REST first:
 * a refused token stops the dashboard with a clear message instead of a retry loop.
 */
async function tokenProblem(token: string): Promise<string | undefined> {
  try {
    const res = await fetch('/api/tasks?limit=1', { headers: { authorization: `Bearer ${token}` } });
    if (res.status !== 401 && res.status !== 403) return undefined;
    const body = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
    const why = body.error?.message ?? `HTTP ${res.status}`;
    return why.includes('expired')
      ? 'Your token has expired. Paste a new one.'
      : `The server rejected the token (${why}).`;
  } catch {
    return undefined; // server unreachable: let the client's reconnect handle it
  }
}

function identity(token: string) {
  const claims = tokenClaims(token);
  return { userId: claims.userId, role: claims.role ?? 'viewer' };
}

/** Connects and wires the stores once per page. */
export async function startDashboard(): Promise<void> {
  const state = dashboard();
  if (state.started) return;
  state.started = true;
  wire(state);
  for (const channel of DEFAULT_CHANNELS) addSubscription(channel, undefined);
  await connectWithToken();
}

/** Production mode: asks for a token first when none is stored. */
async function connectWithToken(): Promise<void> {
  const devToken = await fetchDevToken(devUserId).catch(() => undefined);
  connectionStore.setState({ authMode: devToken ? 'dev' : 'production' });
  if (!devToken && !storedToken()) {
    connectionStore.setState({ needsToken: true });
    return;
  }
  nexus().connect();
}

/** Uses a pasted token (production mode) and connects. */
export function applyToken(token: string): void {
  storeToken(token.trim());
  connectionStore.setState({ needsToken: false, authError: undefined });
  const client = nexus();
  client.disconnect();
  client.connect();
}

/** Forgets the stored token and disconnects. */
export function signOut(): void {
  storeToken(undefined);
  nexus().disconnect();
  connectionStore.setState({ needsToken: connectionStore.getState().authMode === 'production' });
}

export function connect(): void {
  nexus().connect();
}

export function disconnect(): void {
  nexus().disconnect();
}

export function publish(channel: string, payload: unknown): Promise<PublishResult> {
  return nexus().publish(channel, payload);
}

/** Adds a subscription (channel + filters) and tracks its status. */
export function addSubscription(channel: string, filters: Filters | undefined): void {
  const entry: SubscriptionEntry = { channel, filters, status: 'pending' };
  const same = (s: SubscriptionEntry) =>
    s.channel === channel && JSON.stringify(s.filters ?? {}) === JSON.stringify(filters ?? {});
  if (subscriptionsStore.getState().subscriptions.some(same)) return;
  subscriptionsStore.setState((s) => ({ subscriptions: [...s.subscriptions, entry] }));
  void nexus()
    .subscribe(channel, filters)
    .then((result) => {
      subscriptionsStore.setState((s) => ({
        subscriptions: s.subscriptions.map((x) =>
          same(x)
            ? {
                ...x,
                status: result.ok ? 'active' : 'error',
                ...(result.ok ? {} : { error: `${result.code}: ${result.message}` }),
              }
            : x,
        ),
      }));
    });
}

/** Removes every subscription of a channel. */
export function removeSubscription(channel: string): void {
  nexus().unsubscribe(channel);
  subscriptionsStore.setState((s) => ({ subscriptions: s.subscriptions.filter((x) => x.channel !== channel) }));
}

// ---- wiring --------------------------------------------------------------------------------

let logId = 0;

function wire(state: Dashboard): void {
  const client = state.client;
  const pendingLog: LogEntry[] = [];
  let telemetryChanged = false;
  let telemetryArrived = false;
  let received = 0;

  // The log is read by people: a few updates a second are plenty, and each update costs a
  // layout of the virtual list. Batched, never dropped.
  let logFlushedAtMs = 0;
  let logTimer: ReturnType<typeof setTimeout> | undefined;
  const flushLog = () => {
    logTimer = undefined;
    logFlushedAtMs = performance.now();
    appendEntries(pendingLog.splice(0));
  };
  const scheduleLog = () => {
    logTimer ??= setTimeout(flushLog, Math.max(0, logFlushedAtMs + LOG_FLUSH_MS - performance.now()));
  };

  const scheduler = createFrameScheduler(() => {
    if (telemetryArrived) {
      telemetryStore.setState((s) => ({
        version: s.version + 1,
        ...(telemetryChanged ? { agents: telemetryBuffers.agentIds(), metrics: telemetryBuffers.metricNames() } : {}),
      }));
    }
    telemetryArrived = telemetryChanged = false;
  });

  client.on('message', ({ channel, frame }) => {
    received++;
    pendingLog.push(toLogEntry(frame));
    scheduleLog();
    if (channel === 'telemetry') {
      telemetryChanged =
        telemetryBuffers.ingest(Date.parse(frame.timestamp) || Date.now(), frame.data) || telemetryChanged;
      telemetryArrived = true;
    }
    if (telemetryArrived) scheduler.schedule();
  });
  client.on('state', ({ next, reason }) => {
    connectionStore.setState({
      state: next,
      reason,
      attempt: client.attempt,
      nextRetryAt: client.nextRetryAt,
      queued: client.queuedCount,
    });
    if (next === 'failed' && connectionStore.getState().authMode === 'production') {
      connectionStore.setState({
        authError: `The server refused the token (${reason}). Paste a new one.`,
        needsToken: true,
      });
    }
  });
  client.on('reconnecting', ({ attempt, nextRetryAt }) => connectionStore.setState({ attempt, nextRetryAt }));
  client.on('rtt', ({ rttMs }) => connectionStore.setState({ rttMs }));
  // Server state (tasks, agents) may have changed while disconnected: fetch it again.
  // The round-trip time is shown at once, not one heartbeat interval later.
  client.on('connected', () => {
    void queryClient.invalidateQueries();
    client.checkLiveness();
  });
  client.on('gap', ({ channel }) => {
    pendingLog.push({
      id: ++logId,
      receivedAt: Date.now(),
      type: 'gap',
      channel,
      data: 'messages were missed while disconnected',
    });
    scheduleLog();
  });

  const rate = setInterval(() => {
    connectionStore.setState({ messagesPerSecond: received, queued: client.queuedCount });
    received = 0;
  }, 1000);
  const onVisible = () => {
    if (document.visibilityState !== 'visible') return;
    client.checkLiveness();
    scheduler.schedule();
  };
  document.addEventListener('visibilitychange', onVisible);
  state.stopTimers = () => {
    clearInterval(rate);
    clearTimeout(logTimer);
    scheduler.cancel();
    document.removeEventListener('visibilitychange', onVisible);
  };
}

function toLogEntry(frame: DeliveryFrame): LogEntry {
  return {
    id: ++logId,
    receivedAt: Date.now(),
    type: frame.type,
    channel: frame.channel,
    ...(frame.type === 'message' ? { from: frame.from } : {}),
    seq: frame.seq,
    data: frame.data,
  };
}
