/**
 * The charts' time range: live 1, 5, 15 min and 1 h, past 6 h and 24 h — a group of toggle
 * buttons named "Range" — and, while a dragged zoom is shown, its span and "Back to live".
 */
import { useTelemetry } from '../../../hooks/use-stores';
import { formatDateTime } from '../../../lib/time-format';
import { RANGES } from '../../../lib/time-range';
import { telemetryStore } from '../../../store/telemetry-store';

export function RangePicker() {
  const { range, zoom } = useTelemetry((s) => ({ range: s.range, zoom: s.zoom }));
  return (
    <>
      <div className="seg" role="group" aria-label="Range">
        {RANGES.map((r) => (
          <button
            key={r.key}
            aria-pressed={zoom === null && range === r.key}
            title={r.live ? `Live: the last ${r.label}` : `The past ${r.label}`}
            onClick={() => telemetryStore.setState({ range: r.key, zoom: null })}
          >
            {r.label}
          </button>
        ))}
      </div>
      {zoom && (
        <>
          <span className="muted mono" role="note" aria-label="Zoomed range">
            {formatDateTime(zoom.fromMs)} – {formatDateTime(zoom.toMs)}
          </span>
          <button className="btn small" onClick={() => telemetryStore.setState({ zoom: null })}>
            Back to live
          </button>
        </>
      )}
    </>
  );
}
