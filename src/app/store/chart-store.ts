/** Prepared chart data per metric, as the worker sent it; each chart reads its own entry. */
import { createStore } from 'zustand/vanilla';
import type { ChartData } from '../worker';

export interface DrawnChart extends ChartData {
  /** The worker's preparation this chart comes from. */
  readonly generation: number;
}

export interface ChartSlice {
  charts: ReadonlyMap<string, DrawnChart>;
  /** Newer latest values of a chart's lines (same order), until the chart is drawn again. */
  latest: ReadonlyMap<string, Float64Array>;
}

export const chartStore = createStore<ChartSlice>(() => ({ charts: new Map(), latest: new Map() }));

/** Replaces one metric's chart (the others keep their objects, so they do not redraw). */
export function setChart(metric: string, data: DrawnChart): void {
  chartStore.setState((s) => {
    const latest = new Map(s.latest);
    latest.delete(metric);
    return { charts: new Map(s.charts).set(metric, data), latest };
  });
}

/** Latest values for the charts of `generation`; a chart drawn from another one is left alone. */
export function setLatest(generation: number, legends: readonly { metric: string; values: Float64Array }[]): void {
  chartStore.setState((s) => {
    const latest = new Map(s.latest);
    for (const { metric, values } of legends)
      if (s.charts.get(metric)?.generation === generation) latest.set(metric, values);
    return { latest };
  });
}
