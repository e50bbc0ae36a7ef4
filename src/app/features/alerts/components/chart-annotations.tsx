/**
 * What a telemetry chart draws over its series for alerts: the threshold of every rule on its
 * metric (a dashed line labelled with the rule's id), the periods its agents' alerts fired
 * (shaded bands on the time axis, to now while firing), and a marker for every command sent to
 * them. Handed to the charts by the layout (lib/chart-annotations.ts); recharts elements only,
 * a few per chart, re-rendered only when what they show changes.
 */
import { memo, useMemo } from 'react';
import { DefaultZIndexes, ReferenceArea, ReferenceLine } from 'recharts';
import { AlertSeverity } from '@nexus-realtime/client/protocol';
import type { AnnotatedChart } from '../../../lib/chart-annotations';
import { useChartAnnotationData } from '../hooks/use-chart-annotations';
import { CommandMarkers } from './command-markers';
import './alerts.css';

const SEVERITY_COLOUR: Record<string, string> = {
  [AlertSeverity.Critical]: 'var(--bad)',
  [AlertSeverity.Warning]: 'var(--warn)',
};
const colourOf = (severity: string) => SEVERITY_COLOUR[severity] ?? 'var(--warn)';
/** Bands lie under the series (over the grid), so they tint the background, not the lines. */
const BAND_Z_INDEX = DefaultZIndexes.barBackground;

export const ChartAnnotations = memo(function ChartAnnotations(chart: AnnotatedChart) {
  const { thresholds, bands, marks } = useChartAnnotationData(chart);
  // The same elements while the bands and rules are the same: recharts' reference elements
  // re-register with the chart's store on every render of theirs (two dispatches, each a pass over
  // the chart's selectors), and this component renders again each time the time axis moves.
  const areas = useMemo(
    () =>
      bands.map((band) => (
        <ReferenceArea
          key={band.alertId}
          className="alert-band"
          x1={band.fromMs}
          x2={band.toMs}
          fill={colourOf(band.severity)}
          fillOpacity={band.firing ? 0.16 : 0.1}
          stroke="none"
          ifOverflow="hidden"
          zIndex={BAND_Z_INDEX}
        />
      )),
    [bands],
  );
  const lines = useMemo(
    () =>
      thresholds.map((rule) => (
        <ReferenceLine
          key={rule.id}
          className="threshold-line"
          y={rule.value}
          stroke={colourOf(rule.severity)}
          strokeDasharray="6 3"
          strokeWidth={1.25}
          ifOverflow="hidden"
          label={{ value: rule.id, position: 'insideBottomLeft', fontSize: 11, fill: colourOf(rule.severity) }}
        />
      )),
    [thresholds],
  );
  return (
    <>
      {areas}
      {lines}
      {marks.length > 0 && <CommandMarkers marks={marks} />}
    </>
  );
});
