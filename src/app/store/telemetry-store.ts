/**
 * Telemetry slice: what the charts need to know besides the data itself (which lives in
 * `TelemetryBuffers`): the agents and metrics seen, the window, pause, agent and metric choices.
 */
import { createStore } from 'zustand/vanilla';
import type { AgentSummary } from '../worker';

export const WINDOWS_MS = [60_000, 5 * 60_000, 15 * 60_000] as const;
export type WindowMs = (typeof WINDOWS_MS)[number];

export interface TelemetrySlice {
  agents: string[];
  /** Metric names, those most agents report first, then first seen. */
  metrics: string[];
  windowMs: WindowMs;
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
  windowMs: 5 * 60_000,
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
