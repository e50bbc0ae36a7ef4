/**
 * The dashboard's worker side, framework-free: the one NexusWebSocket, JSON parsing, the
 * telemetry ring buffers, the history gate, chart preparation and the message log's preview
 * strings. It runs in a Web Worker (worker.ts), so none of that costs the page's main thread;
 * unit tests run the same class in their own thread (in-thread.ts).
 *
 * Out, at the page's pace: the charts at CHART_REDRAW_MS (the telemetry rate; a chart costs the
 * page real work per redraw), or less often on long ranges, where a second moves the time axis by
 * a fraction of a pixel (chartRedrawMs), and in between, at most every LEGEND_MS after new data, just the
 * latest value of each drawn line (cheap text, so a new value is on screen at once); log rows
 * every LOG_FLUSH_MS; the rate each second.
 */
import { NexusWebSocket, type ClientEvents, type NexusWebSocketOptions } from '@nexus-realtime/client';
import { Channel, type DeliveryFrame } from '@nexus-realtime/client/protocol';
import { previewText } from '../lib/log-preview';
import { chartableMetrics, shownMetrics } from '../lib/metric-selection';
import { packChart, transferablesOf } from './chart-packing';
import {
  FORWARDED_EVENTS,
  type AgentSummary,
  type ChartView,
  type FromCore,
  type LegendValues,
  type LogEntry,
  type Post,
  type ToCore,
} from './messages';
import { buildChartData } from './model/chart-data';
import { FleetHistory } from './model/fleet-history';
import { HistoryGate } from './model/history-gate';
import { keepRollup, type RollupAnswer } from './model/rollups';
import { DemandTracker } from './model/telemetry-demand';
import { MAX_WINDOW_MS, TelemetryBuffers } from './model/telemetry-buffers';

export const CHART_REDRAW_MS = 1000;
/** Longest wait between two redraws of the charts (the 6 h and 24 h ranges). */
export const MAX_CHART_REDRAW_MS = 10_000;
/** A chart is drawn again once its time axis has moved on by about this share of its width (≈ ½ px). */
const REDRAW_SHARE = 1 / 720;

/**
 * How often the charts of a window this wide are drawn again: every second up to 12 min, then as
 * the time axis moves on by about half a pixel (1 h: every 5 s), at most every MAX_CHART_REDRAW_MS.
 * New values still reach the legends at once, and a new view or new rollups redraw at once.
 */
export function chartRedrawMs(windowMs: number): number {
  return Math.min(MAX_CHART_REDRAW_MS, Math.max(CHART_REDRAW_MS, windowMs * REDRAW_SHARE));
}
export const LEGEND_MS = 100;
export const LOG_FLUSH_MS = 500;
const ROLLUP_BATCH_MS = 30;
const SUMMARY_EVERY_MS = 1000;

export class WorkerCore {
  readonly #client: NexusWebSocket;
  readonly #post: Post<FromCore>;
  readonly #buffers = new TelemetryBuffers();
  readonly #fleet = new FleetHistory();
  readonly #rollups = new Map<string, RollupAnswer>();
  readonly #demand = new DemandTracker(Date.now());
  readonly #gate = new HistoryGate((timeMs, _seq, data) => this.#ingest(timeMs, data));
  readonly #forwarded = new Map<string, unknown[]>();
  readonly #tokenWaits = new Map<number, { resolve: (t: string) => void; reject: (e: Error) => void }>();
  #view: ChartView = { windowMs: 5 * 60_000, hiddenAgents: [], pinnedAgents: [], pickedMetrics: null, paused: false };
  #log: LogEntry[] = [];
  #logId = 0;
  #received = 0;
  #preparedAtMs = 0;
  #chartsAtMs = -Infinity;
  /** Data arrived since the last preparation. */
  #dirty = false;
  #generation = 0;
  /** The agents of each drawn chart's lines, in line order (for the legend values). */
  #drawnLines = new Map<string, readonly string[]>();
  #summarizedAtMs = 0;
  #timers: Partial<Record<'prepare' | 'log' | 'rollups', ReturnType<typeof setTimeout>>> = {};
  /** Metrics whose rollups arrived since their chart was last prepared. */
  readonly #rollupsIn = new Set<string>();
  readonly #intervals: ReturnType<typeof setInterval>[] = [];
  #requestIds = 0;

  constructor(url: string, post: Post<FromCore>, options: NexusWebSocketOptions = {}) {
    this.#post = post;
    this.#client = new NexusWebSocket(url, () => this.#askToken(), options);
    for (const name of FORWARDED_EVENTS)
      this.#client.on(name, (context: ClientEvents[typeof name]) =>
        post({ type: 'event', name, context, snapshot: this.#snapshot() }),
      );
    this.#client.on('message', ({ channel, frame }) => this.#onMessage(channel, frame));
    this.#client.on('gap', ({ channel }) =>
      this.#pushLog({ type: 'gap', channel, data: undefined, preview: 'messages were missed while disconnected' }),
    );
    // The band and the top agents at any fleet size, one message a second.
    void this.#client.subscribe(Channel.TelemetryFleet);
    this.#intervals.push(
      setInterval(() => this.#postRate(), 1000),
      // The time axis moves on even when no data arrives.
      setInterval(() => this.#schedulePrepare(), CHART_REDRAW_MS),
    );
  }

  /** A message from the page. */
  handle(message: ToCore): void {
    switch (message.type) {
      case 'connect':
        return this.#client.connect();
      case 'disconnect':
        return this.#client.disconnect();
      case 'reconnect-now':
        return this.#client.reconnectNow();
      case 'check-liveness':
        return this.#client.checkLiveness();
      case 'token':
        return this.#answerToken(message.requestId, message.token, message.error);
      case 'subscribe':
        return void this.#client
          .subscribe(message.channel, message.filters)
          .then((result) => this.#post({ type: 'result', requestId: message.requestId, result }));
      case 'unsubscribe':
        return this.#client.unsubscribe(message.channel);
      case 'publish':
        return void this.#client
          .publish(message.channel, message.payload)
          .then((result) => this.#post({ type: 'result', requestId: message.requestId, result }));
      case 'view':
        this.#view = message.view;
        return this.#prepareSoon();
      case 'history':
        this.#gate.finish(message.page, Date.now() - MAX_WINDOW_MS);
        return this.#prepareSoon();
      case 'rollups':
        keepRollup(this.#rollups, message.answer);
        // Answers arriving together are prepared together, and only their charts: on a busy
        // server the answers come one by one, and each would otherwise redraw every chart.
        this.#rollupsIn.add(message.answer.metric);
        this.#timers.rollups ??= setTimeout(() => this.#prepareRollups(), ROLLUP_BATCH_MS);
        return;
      case 'forward-channel':
        if (!this.#forwarded.has(message.channel)) this.#forwarded.set(message.channel, []);
        return;
    }
  }

  /** Stops every timer and the connection (tests, hot reload). */
  close(): void {
    this.#client.disconnect();
    for (const interval of this.#intervals) clearInterval(interval);
    for (const timer of Object.values(this.#timers)) clearTimeout(timer);
  }

  #snapshot() {
    const client = this.#client;
    return { attempt: client.attempt, nextRetryAt: client.nextRetryAt, queuedCount: client.queuedCount };
  }

  // ---- the token comes from the page (it alone knows the stored token and the dev route) ----

  #askToken(): Promise<string> {
    const requestId = ++this.#requestIds;
    return new Promise((resolve, reject) => {
      this.#tokenWaits.set(requestId, { resolve, reject });
      this.#post({ type: 'token-request', requestId });
    });
  }

  #answerToken(requestId: number, token: string | undefined, error: string | undefined): void {
    const wait = this.#tokenWaits.get(requestId);
    this.#tokenWaits.delete(requestId);
    if (token !== undefined) wait?.resolve(token);
    else wait?.reject(new Error(error ?? 'no token'));
  }

  // ---- frames in --------------------------------------------------------------------------------

  #onMessage(channel: string, frame: DeliveryFrame): void {
    this.#received++;
    this.#pushLog({
      type: frame.type,
      channel,
      ...(frame.type === 'message' ? { from: frame.from } : {}),
      seq: frame.seq,
      data: frame.data,
    });
    if (channel === Channel.Telemetry)
      this.#gate.offer(Date.parse(frame.timestamp) || Date.now(), frame.seq, frame.data);
    else if (channel === Channel.TelemetryFleet) {
      this.#fleet.ingest(frame.data, Date.now());
      this.#dirty = true;
      this.#schedulePrepare();
    }
    this.#forwarded.get(channel)?.push(frame.data);
  }

  #ingest(timeMs: number, data: unknown): void {
    this.#buffers.ingest(timeMs, data);
    this.#dirty = true;
    this.#schedulePrepare();
  }

  // ---- log rows: preview strings, a few batches a second ----------------------------------------

  #pushLog(entry: Omit<LogEntry, 'id' | 'receivedAt'>): void {
    const full: LogEntry = { id: ++this.#logId, receivedAt: Date.now(), ...entry };
    // Only the preview crosses to the page: the payload object stays here.
    this.#log.push({ ...full, data: undefined, preview: previewText(full.type, full.data) });
    this.#timers.log ??= setTimeout(() => this.#flushLog(), LOG_FLUSH_MS);
  }

  #flushLog(): void {
    this.#timers.log = undefined;
    const rows = this.#log;
    this.#log = [];
    if (rows.length > 0) this.#post({ type: 'log', rows });
    for (const [channel, data] of this.#forwarded) {
      if (data.length === 0) continue;
      this.#forwarded.set(channel, []);
      this.#post({ type: 'channel', channel, data });
    }
  }

  #postRate(): void {
    this.#post({ type: 'rate', messagesPerSecond: this.#received, snapshot: this.#snapshot() });
    this.#received = 0;
  }

  // ---- charts: prepared here, drawn by the page -------------------------------------------------

  #schedulePrepare(): void {
    if (this.#timers.prepare !== undefined || this.#view.paused) return;
    const waitMs = Math.max(0, this.#preparedAtMs + LEGEND_MS - performance.now());
    this.#timers.prepare = setTimeout(() => this.#prepare(), waitMs);
  }

  /** Settings changed or history arrived: the charts are drawn again at once (or after `delayMs`). */
  #prepareSoon(delayMs = 0): void {
    clearTimeout(this.#timers.prepare);
    this.#timers.prepare = undefined;
    this.#chartsAtMs = -Infinity;
    if (!this.#view.paused) this.#timers.prepare = setTimeout(() => this.#prepare(), delayMs);
  }

  #prepare(): void {
    this.#timers.prepare = undefined;
    if (this.#view.paused) return;
    this.#preparedAtMs = performance.now();
    const dirty = this.#dirty;
    this.#dirty = false;
    const redrawMs = chartRedrawMs(this.#view.windowMs);
    if (this.#preparedAtMs - this.#chartsAtMs >= redrawMs - LEGEND_MS / 2) this.#prepareCharts();
    else if (dirty) this.#prepareLegends();
  }

  /** The charts whose rollups arrived (the others keep their redraw pace). */
  #prepareRollups(): void {
    this.#timers.rollups = undefined;
    if (this.#view.paused || this.#rollupsIn.size === 0) return; // paused: drawn with the rest on resume
    this.#prepareCharts(new Set(this.#rollupsIn));
    this.#rollupsIn.clear();
  }

  /**
   * Prepares the shown charts (`only`: just those, in the same generation, so the other charts'
   * legends still apply) and posts them to the page.
   */
  #prepareCharts(only?: ReadonlySet<string>): void {
    if (!only) {
      this.#chartsAtMs = this.#preparedAtMs;
      this.#rollupsIn.clear();
    }
    const generation = only ? this.#generation : ++this.#generation;
    const nowMs = this.#view.endMs ?? Date.now();
    const agents = this.#buffers.agentIds();
    // While every agent is heard, the metrics are those heard (bounded per agent); once raw
    // telemetry is filtered to the drawn agents, the fleet summaries name the fleet's metrics.
    const fleetMetrics = this.#demand.filtered ? this.#fleet.metricNames() : [];
    const metrics = [...new Set([...fleetMetrics, ...this.#buffers.metricNames(), ...this.#rollups.keys()])];
    const view = this.#view;
    const shown = shownMetrics(chartableMetrics(metrics), view.pickedMetrics);
    if (!only) this.#drawnLines.clear();
    const charts = shown
      .filter((metric) => !only || only.has(metric))
      .map((metric) => this.#chart(metric, agents, nowMs, generation));
    if (!only) this.#updateDemand(charts[0]?.lines.map((line) => line.agentId) ?? []);
    const wallMs = Date.now(); // a zoom's charts end in the past; the agents' summaries are of now
    const summaries = wallMs - this.#summarizedAtMs >= SUMMARY_EVERY_MS ? this.#summaries(agents, wallMs) : undefined;
    this.#post({ type: 'telemetry', agents, metrics, charts, summaries }, charts.flatMap(transferablesOf));
  }

  /** One metric's chart, its lines noted for the legends. */
  #chart(metric: string, agents: readonly string[], nowMs: number, generation: number) {
    const view = this.#view;
    const data = buildChartData({
      buffers: this.#buffers,
      metric,
      agents,
      hidden: view.hiddenAgents,
      pinned: view.pinnedAgents,
      windowMs: view.windowMs,
      nowMs,
      fleet: this.#fleet,
      rollup: this.#rollups.get(metric),
      live: view.endMs === undefined,
    });
    this.#drawnLines.set(
      metric,
      data.lines.map((line) => line.agentId),
    );
    return packChart(metric, data, generation);
  }

  /** Tells the page which raw telemetry the charts need, when that changes (see telemetry-demand.ts). */
  #updateDemand(firstChartLines: readonly string[]): void {
    const { pinnedAgents: pinned } = this.#view;
    const fleetSize = this.#fleet.fleetSize();
    const input = { fleetSize, fleetHeardAtMs: this.#fleet.receivedAtMs, nowMs: Date.now(), pinned, firstChartLines };
    const next = this.#demand.next(input);
    if (next !== undefined) this.#post({ type: 'telemetry-demand', agentIds: next });
  }

  #prepareLegends(): void {
    const legends: LegendValues[] = [];
    for (const [metric, agentIds] of this.#drawnLines) {
      const values = Float64Array.from(agentIds, (id) => this.#buffers.series(id, metric)?.latest()?.value ?? NaN);
      legends.push({ metric, values });
    }
    if (legends.length === 0) return;
    const generation = this.#generation;
    this.#post(
      { type: 'legends', generation, legends },
      legends.map((l) => l.values.buffer as ArrayBuffer),
    );
  }

  #summaries(agents: readonly string[], nowMs: number): Map<string, AgentSummary> {
    this.#summarizedAtMs = nowMs;
    const out = new Map<string, AgentSummary>();
    for (const agentId of agents)
      out.set(agentId, { lastSeenMs: this.#buffers.agent(agentId)!.lastSeenMs, latest: this.#buffers.latest(agentId) });
    return out;
  }
}
