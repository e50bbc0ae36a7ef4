/**
 * The worker side of the dashboard as the page sees it: the client that speaks to the Web Worker
 * (or to the same core in this thread, in unit tests), the messages it brings, and the shape of
 * the chart data it prepares. Page code imports the worker through this file only; the worker's
 * own files never import it.
 */
export { createWorkerClient } from './create-worker-client';
export type { DataMessage, WorkerClient } from './worker-client';
export { unpackChart } from './chart-packing';
export type { AgentSummary, ChartView, LogEntry, PackedChart } from './messages';
export type { HistoryMessage, HistoryPage } from './model/history-gate';
export { MAX_LINES, TIME_KEY, type ChartData, type ChartLine, type ChartRow, type LineKey } from './model/chart-data';
export type { AgentRollup, RollupAnswer } from './model/rollups';
