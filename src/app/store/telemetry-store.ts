/**
 * Telemetry slice: what the charts need to know besides the data itself (which lives in
 * `TelemetryBuffers`): the agents and metrics seen, the range or zoom, pause, agent and metric
 * choices. The choices a link carries (lib/view-url.ts) are the view: range, zoom, agents, charts,
 * filter.
 */
import { createStore } from 'zustand/vanilla';
import { DEFAULT_RANGE, type RangeKey, type Zoom } from '../lib/time-range';
import type { AgentSummary } from '../worker';

export interface TelemetrySlice {
  agents: string[];
  /** Metric names, those most agents report first, then first seen. */
  metrics: string[];
  range: RangeKey;
  /** A fixed range dragged on a chart, shown until "Back to live"; null = the range. */
  zoom: Zoom | null;
  /** The agent filter box's text. */
  agentFilter: string;
  paused: boolean;
  /** Agents the person switched off. */
  hiddenAgents: string[];
  /** Agents the person picked to highlight in fleet mode (empty = the top values). */
  pinnedAgents: string[];
  /** Metrics the person picked to chart (null = the default view). */
  pickedMetrics: string[] | null;
  /** Bumped when prepared data arrives. */
  version: number;
  /** Each agent's last seen time and latest values (refreshed about once a second). */
  summaries: ReadonlyMap<string, AgentSummary>;
}

export const telemetryStore = createStore<TelemetrySlice>(() => ({
  agents: [],
  metrics: [],
  range: DEFAULT_RANGE,
  zoom: null,
  agentFilter: '',
  paused: false,
  hiddenAgents: [],
  pinnedAgents: [],
  pickedMetrics: null,
  version: 0,
  summaries: new Map(),
}));

export function toggleIn(list: readonly string[], item: string): string[] {
  return list.includes(item) ? list.filter((x) => x !== item) : [...list, item];
}
