/**
 * What the page and the worker (a Web Worker, or the same code in the page's thread for unit
 * tests) tell each other. The worker owns the socket, JSON parsing, the telemetry ring buffers
 * and chart preparation; the page gets prepared charts (typed arrays, transferred) at its redraw
 * rate, log rows as short preview strings, and the client's events.
 */
import {
  CLIENT_EVENT_NAMES,
  type ClientEvents,
  type Filters,
  type PublishResult,
  type SubscribeResult,
} from '@nexus-realtime/client';
import type { HistoryPage } from './model/history-gate';
import type { RollupAnswer } from './model/rollups';

/** One row of the message log, as the worker sends it (the preview instead of the payload). */
export interface LogEntry {
  readonly id: number;
  readonly receivedAt: number;
  readonly type: string;
  readonly channel: string;
  readonly from?: string;
  readonly seq?: number;
  readonly data: unknown;
  /** One-line preview of `data`, made where the frame was parsed (the page never holds payloads). */
  readonly preview?: string;
}

/** What the charts show, as the person set it. */
export interface ChartView {
  readonly windowMs: number;
  /** Where the window ends: undefined = now, moving on (live); a time = a fixed range (zoom). */
  readonly endMs?: number;
  readonly hiddenAgents: readonly string[];
  readonly pinnedAgents: readonly string[];
  readonly pickedMetrics: readonly string[] | null;
  /** Paused or the tab hidden: no chart is prepared. */
  readonly paused: boolean;
}

/** One chart's series: rows × lines of values (NaN = no value), transferred, not copied. */
export interface PackedChart {
  readonly metric: string;
  /** Which preparation this is; legend values name the one they belong to. */
  readonly generation: number;
  readonly times: Float64Array;
  readonly lines: readonly { agentId: string; color: string; latest: number | undefined }[];
  /** `lines.length` values per row, row after row. */
  readonly values: Float64Array;
  /** Fleet mode: min, max, median per row. */
  readonly band: Float64Array | undefined;
  readonly fleet: boolean;
  readonly agentCount: number;
  readonly endMs: number;
}

/** The latest value of each line of a chart, between two redraws of the chart itself. */
export interface LegendValues {
  readonly metric: string;
  /** Per line of the chart of the same generation; NaN = none. */
  readonly values: Float64Array;
}

export interface AgentSummary {
  readonly lastSeenMs: number;
  readonly latest: Readonly<Record<string, number>>;
}

/** Client state the page shows, sent with every event. */
export interface ClientSnapshot {
  readonly attempt: number;
  readonly nextRetryAt: number | undefined;
  readonly queuedCount: number;
}

export type ForwardedEvent = Exclude<keyof ClientEvents, 'message'>;

/**
 * The client events the worker forwards to the page: all of them but `message` (frames stay in
 * the worker; the page gets log rows, prepared charts and the channels it listens to).
 */
export const FORWARDED_EVENTS: readonly ForwardedEvent[] = CLIENT_EVENT_NAMES.filter(
  (name): name is ForwardedEvent => name !== 'message',
);

export type ToCore =
  | { readonly type: 'connect' | 'disconnect' | 'reconnect-now' | 'check-liveness' }
  | { readonly type: 'token'; readonly requestId: number; readonly token?: string; readonly error?: string }
  | { readonly type: 'subscribe'; readonly requestId: number; readonly channel: string; readonly filters?: Filters }
  | { readonly type: 'unsubscribe'; readonly channel: string }
  | { readonly type: 'publish'; readonly requestId: number; readonly channel: string; readonly payload: unknown }
  | { readonly type: 'view'; readonly view: ChartView }
  | { readonly type: 'history'; readonly page: HistoryPage | undefined }
  | { readonly type: 'rollups'; readonly answer: RollupAnswer }
  | { readonly type: 'forward-channel'; readonly channel: string };

export type FromCore =
  | {
      readonly type: 'event';
      readonly name: ForwardedEvent;
      readonly context: unknown;
      readonly snapshot: ClientSnapshot;
    }
  | { readonly type: 'token-request'; readonly requestId: number }
  | { readonly type: 'result'; readonly requestId: number; readonly result: SubscribeResult | PublishResult }
  | { readonly type: 'channel'; readonly channel: string; readonly data: readonly unknown[] }
  | { readonly type: 'log'; readonly rows: readonly LogEntry[] }
  | { readonly type: 'rate'; readonly messagesPerSecond: number; readonly snapshot: ClientSnapshot }
  | { readonly type: 'legends'; readonly generation: number; readonly legends: readonly LegendValues[] }
  /** The raw telemetry the charts need now: null = every agent's, else only these agents'. */
  | { readonly type: 'telemetry-demand'; readonly agentIds: readonly string[] | null }
  | {
      readonly type: 'telemetry';
      readonly agents: readonly string[];
      readonly metrics: readonly string[];
      readonly charts: readonly PackedChart[];
      /** Sent at most once a second (undefined in between). */
      readonly summaries: ReadonlyMap<string, AgentSummary> | undefined;
    };

/** How a message travels: `postMessage` of a Worker, or a direct call in the same thread. */
export type Post<T> = (message: T, transfer?: Transferable[]) => void;
