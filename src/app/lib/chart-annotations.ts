/**
 * What a telemetry chart may draw over its series besides its own data — the alert rules'
 * thresholds, alert periods, the commands sent to its agents — handed to the charts by the layout
 * (App.tsx), where features meet: the telemetry feature draws whatever it is given, and never
 * imports the feature that draws it.
 */
import { createContext, useContext, type ReactNode } from 'react';

/** What a chart shows, for its annotations to match. */
export interface AnnotatedChart {
  readonly metric: string;
  /** The agents drawn as lines. */
  readonly agentIds: readonly string[];
  /** Whether the chart draws the whole fleet's band (every agent is in it). */
  readonly fleet: boolean;
  /** The time axis, ms since the epoch. */
  readonly fromMs: number;
  readonly toMs: number;
}

/** Renders recharts elements inside a chart (a `ComposedChart`'s children). */
export type RenderChartAnnotations = (chart: AnnotatedChart) => ReactNode;

export const ChartAnnotationsContext = createContext<RenderChartAnnotations | undefined>(undefined);

/** The annotations of one chart (nothing when the layout gave none, e.g. in a unit test). */
export function useChartAnnotations(chart: AnnotatedChart): ReactNode {
  const render = useContext(ChartAnnotationsContext);
  return render?.(chart);
}
