/**
 * Drag across a chart to zoom into that range (the selection drawn as a recharts ReferenceArea):
 * the times come from the rows under the pointer, so a drag keeps its ends while the chart
 * redraws underneath. A drag shorter than MIN_ZOOM_MS is a click and changes nothing.
 */
import { useCallback, useMemo, useState } from 'react';
import type { MouseHandlerDataParam } from 'recharts';
import { MIN_ZOOM_MS, type Zoom } from '../../../lib/time-range';
import { telemetryStore } from '../../../store/telemetry-store';
import { TIME_KEY, type ChartRow } from '../../../worker';

export interface DragZoom {
  /** The range being dragged, for the ReferenceArea; undefined while not dragging. */
  readonly selection: Zoom | undefined;
  readonly onMouseDown: (state: MouseHandlerDataParam) => void;
  readonly onMouseMove: (state: MouseHandlerDataParam) => void;
  readonly onMouseUp: () => void;
  readonly onMouseLeave: () => void;
}

function timeAt(rows: readonly ChartRow[], state: MouseHandlerDataParam): number | undefined {
  const index = Number(state.activeTooltipIndex);
  return Number.isInteger(index) ? rows[index]?.[TIME_KEY] : undefined;
}

export function useDragZoom(rows: readonly ChartRow[]): DragZoom {
  const [drag, setDrag] = useState<{ startMs: number; endMs: number }>();
  const onMouseDown = useCallback(
    (state: MouseHandlerDataParam) => {
      const t = timeAt(rows, state);
      if (t !== undefined) setDrag({ startMs: t, endMs: t });
    },
    [rows],
  );
  const onMouseMove = useCallback(
    (state: MouseHandlerDataParam) => {
      const t = timeAt(rows, state);
      if (t !== undefined) setDrag((d) => (d && d.endMs !== t ? { ...d, endMs: t } : d));
    },
    [rows],
  );
  const selection = useMemo(
    () => drag && { fromMs: Math.min(drag.startMs, drag.endMs), toMs: Math.max(drag.startMs, drag.endMs) },
    [drag],
  );
  const onMouseUp = useCallback(() => {
    if (selection && selection.toMs - selection.fromMs >= MIN_ZOOM_MS) telemetryStore.setState({ zoom: selection });
    setDrag(undefined);
  }, [selection]);
  const onMouseLeave = useCallback(() => setDrag(undefined), []);
  return { selection, onMouseDown, onMouseMove, onMouseUp, onMouseLeave };
}
