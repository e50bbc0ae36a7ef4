/**
 * The dashboard's one connection — a NexusWebSocket in the dashboard's Web Worker, which also
 * parses frames, keeps the telemetry ring buffers and prepares charts and log rows — and the
 * bridge that feeds the stores. Components never touch the socket: they read the stores and call
 * the actions exported here.
 *
 * One instance per page, also under StrictMode (effects run twice) and hot reload (modules run
 * again): the instance lives on `globalThis` and `start()` is idempotent.
 */
import type { Filters, PublishResult } from '@nexus-realtime/client';
import { Channel, DEFAULT_CHANNELS } from '@nexus-realtime/client/protocol';
import { createWorkerClient, type RollupAnswer, type WorkerClient } from '../worker';
import { connectionStore } from '../store/connection-store';
import { subscriptionsStore, type SubscriptionEntry } from '../store/subscriptions-store';
import { telemetryStore } from '../store/telemetry-store';
import { fetchDevToken, storedToken, storeToken, tokenClaims, webSocketUrl } from './auth';
import { wire } from './bridge';
import { resolveAuthMode } from './server-hints';
import { providerToken } from './sign-in';
import { startTelemetryFeed } from './telemetry-feed';
import { bindViewToUrl, pickView, type ViewStore } from './view-url';
import { bindRouteToUrl } from './view-route';
import { startAgentStatesFeed } from './agent-states-feed';
import { startAlertsFeed } from './alerts-feed';
import { applySubscribeResult, sameSubscription, takeRefused } from './subscription-status';

interface Dashboard {
  readonly client: WorkerClient;
  started: boolean;
  stopTimers?: () => void;
}

const GLOBAL_KEY = '__nexusDashboard';
type GlobalWithDashboard = typeof globalThis & { [GLOBAL_KEY]?: Dashboard };

/** The page's client of the Web Worker (created on first use). */
export function nexus(): WorkerClient {
  return dashboard().client;
}

function dashboard(): Dashboard {
  const scope = globalThis as GlobalWithDashboard;
  scope[GLOBAL_KEY] ??= { client: createWorkerClient(webSocketUrl(), provideToken), started: false };
  return scope[GLOBAL_KEY];
}

const devUserId = `dashboard-${Math.random().toString(36).slice(2, 8)}`;

/** Asked before every connect: the server says whether it is in dev mode (a network error retries). */
async function provideToken(): Promise<string> {
  // Signed in with the identity provider: that user, renewed in band before it expires.
  const signedIn = await providerToken();
  if (signedIn) return accepted(signedIn);
  if ((await resolveAuthMode()) === 'dev') {
    const token = await fetchDevToken(devUserId);
    if (token) {
      connectionStore.setState(identity(token));
      return token;
    }
  }
  const token = storedToken();
  if (!token) {
    connectionStore.setState({ needsToken: true });
    queueMicrotask(() => nexus().disconnect());
    throw new Error('no token');
  }
  await accepted(token);
  connectionStore.setState(identity(token));
  return token;
}

/** `token`, once the server accepts it; a refused one stops the dashboard and says why. */
async function accepted(token: string): Promise<string> {
  const problem = await tokenProblem(token);
  if (problem) {
    connectionStore.setState({ needsToken: true, authError: problem });
    queueMicrotask(() => nexus().disconnect());
    throw new Error(problem);
  }
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

/** The part of the telemetry store the page's address holds. */
const telemetryViewStore: ViewStore = {
  getState: () => pickView(telemetryStore.getState()),
  setState: (view) =>
    telemetryStore.setState({
      ...view,
      pinnedAgents: [...view.pinnedAgents],
      hiddenAgents: [...view.hiddenAgents],
      pickedMetrics: view.pickedMetrics && [...view.pickedMetrics],
    }),
  subscribe: (listener) => telemetryStore.subscribe(listener),
};

let viewBound = false;

/**
 * The view comes from the page's address and goes back into it (once per page). Called before the
 * first render, so the first charts and their rollups are asked for the linked view at once.
 */
export function bindView(): void {
  if (viewBound) return;
  viewBound = true;
  bindViewToUrl(telemetryViewStore);
  bindRouteToUrl();
}

/** Connects and wires the stores once per page; the view comes from the address. */
export async function startDashboard(): Promise<void> {
  const state = dashboard();
  if (state.started) return;
  state.started = true;
  bindView();
  state.stopTimers = wire(state.client);
  for (const channel of DEFAULT_CHANNELS) if (channel !== Channel.Telemetry) addSubscription(channel, undefined);
  void startTelemetryFeed(state.client);
  startAgentStatesFeed(state.client);
  startAlertsFeed(state.client);
  await connectWithToken();
}

/** Production mode without a stored token asks for one first; an unreachable server is retried. */
async function connectWithToken(): Promise<void> {
  const mode = await resolveAuthMode().catch(() => 'unknown' as const);
  if (mode === 'production' && !storedToken() && !(await providerToken())) {
    connectionStore.setState({ needsToken: true });
    return;
  }
  nexus().connect();
}

/** Uses a pasted token (production mode) and connects; subscriptions refused before are tried again. */
export function applyToken(token: string): void {
  storeToken(token.trim());
  connectionStore.setState({ needsToken: false, authError: undefined });
  const client = nexus();
  client.disconnect();
  for (const entry of takeRefused()) resubscribe(entry);
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

/** Skips the reconnect wait (or reconnects after Disconnect). */
export function reconnectNow(): void {
  nexus().reconnectNow();
}

export function disconnect(): void {
  nexus().disconnect();
}

/** The server's rollups of one metric, for the charts (drawn where live data has none). */
export function loadRollups(answer: RollupAnswer): void {
  nexus().loadRollups(answer);
}

export function publish(channel: string, payload: unknown): Promise<PublishResult> {
  return nexus().publish(channel, payload);
}

/** Adds a subscription (channel + filters) and tracks its status. */
export function addSubscription(channel: string, filters: Filters | undefined): void {
  if (subscriptionsStore.getState().subscriptions.some((s) => sameSubscription(s, channel, filters))) return;
  const entry: SubscriptionEntry = { channel, filters, status: 'pending' };
  subscriptionsStore.setState((s) => ({ subscriptions: [...s.subscriptions, entry] }));
  resubscribe(entry);
}

function resubscribe({ channel, filters }: Pick<SubscriptionEntry, 'channel' | 'filters'>): void {
  void nexus()
    .subscribe(channel, filters)
    .then((result) => applySubscribeResult(channel, filters, result));
}

/** Removes every subscription of a channel. */
export function removeSubscription(channel: string): void {
  nexus().unsubscribe(channel);
  subscriptionsStore.setState((s) => ({ subscriptions: s.subscriptions.filter((x) => x.channel !== channel) }));
}
