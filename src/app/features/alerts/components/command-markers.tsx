/**
 * A marker on the time axis for every command sent to the chart's agents: a small triangle at
 * the top of the plot and a faint line down to its bottom. Hovering (or focusing) one shows what
 * was sent, to which agent, by whom and the task's status now; who cancelled a task is in its
 * timeline, asked from the server only then.
 */
import { memo, useEffect, useRef, useState } from 'react';
import { DefaultZIndexes, usePlotArea, useXAxisScale, ZIndexLayer } from 'recharts';
import { CommandName } from '@nexus-realtime/client/protocol';
import { formatClock } from '../../../lib/time-format';
import { useCommandTask } from '../api/get-command-task';
import { markText, type CommandMark } from '../utils/annotations';

const MARK_COLOUR = 'var(--accent)';
const CANCEL_COLOUR = 'var(--muted)';
const TRIANGLE_HALF_PX = 5;
const TRIANGLE_HEIGHT_PX = 7;
const POPUP_LINE_PX = 15;
/** About the width of one character of the popup's 11 px text. */
const CHAR_PX = 6.4;

/** Above the bands, lines and the zoom selection (a hover must reach them), below the tooltip's cursor. */
const MARKS_Z_INDEX = DefaultZIndexes.activeBar;

/** On the chart's figure while a marker is hovered (alerts.css hides the series tooltip then). */
const MARKER_HOVER_CLASS = 'marker-hover';

type Scale = (value: number) => number;

export const CommandMarkers = memo(function CommandMarkers({ marks }: { marks: readonly CommandMark[] }) {
  const x = useXAxisScale() as Scale | undefined;
  const area = usePlotArea();
  const [shown, setShown] = useState<string | undefined>(undefined);
  const layerRef = useRef<SVGGElement>(null);
  // While a marker's popup shows, the chart's own tooltip (values at the hovered time) steps
  // aside: both would sit at the pointer, the popup under it.
  useEffect(() => {
    const chart = layerRef.current?.closest('.chart');
    chart?.classList.toggle(MARKER_HOVER_CLASS, shown !== undefined);
    return () => chart?.classList.remove(MARKER_HOVER_CLASS);
  }, [shown]);
  if (!x || !area) return null;
  const placed = marks
    .map((mark) => ({ mark, px: x(mark.atMs) }))
    .filter(({ px }) => Number.isFinite(px) && px >= area.x - 1 && px <= area.x + area.width + 1);
  const active = placed.find(({ mark }) => mark.key === shown);
  return (
    <ZIndexLayer zIndex={MARKS_Z_INDEX}>
      <g className="command-marks" aria-label="Commands sent" ref={layerRef}>
        {placed.map(({ mark, px }) => (
          <Marker
            key={mark.key}
            mark={mark}
            px={px}
            top={area.y}
            bottom={area.y + area.height}
            onShow={setShown}
            onHide={() => setShown((key) => (key === mark.key ? undefined : key))}
          />
        ))}
        {active && <MarkPopup mark={active.mark} px={active.px} top={area.y} right={area.x + area.width} />}
      </g>
    </ZIndexLayer>
  );
});

function Marker({
  mark,
  px,
  top,
  bottom,
  onShow,
  onHide,
}: {
  mark: CommandMark;
  px: number;
  top: number;
  bottom: number;
  onShow: (key: string) => void;
  onHide: () => void;
}) {
  const colour = mark.command === CommandName.CancelTask ? CANCEL_COLOUR : MARK_COLOUR;
  const triangle = `${px - TRIANGLE_HALF_PX},${top} ${px + TRIANGLE_HALF_PX},${top} ${px},${top + TRIANGLE_HEIGHT_PX}`;
  return (
    <g
      className="command-mark"
      data-command={mark.command}
      data-task={mark.taskId}
      role="img"
      aria-label={`${markText(mark)}, at ${formatClock(mark.atMs)}`}
      tabIndex={0}
      onMouseEnter={() => onShow(mark.key)}
      onMouseLeave={onHide}
      onFocus={() => onShow(mark.key)}
      onBlur={onHide}
    >
      <line x1={px} x2={px} y1={top} y2={bottom} stroke={colour} strokeOpacity={0.45} strokeDasharray="2 3" />
      {/* A wider invisible target than the triangle itself, so a hover finds it. */}
      <rect x={px - 7} y={top - 2} width={14} height={bottom - top + 2} fill="transparent" />
      <polygon points={triangle} fill={colour} />
    </g>
  );
}

function MarkPopup({ mark, px, top, right }: { mark: CommandMark; px: number; top: number; right: number }) {
  const task = useCommandTask(mark.taskId, true);
  const who = mark.command === CommandName.CancelTask ? task.data?.cancelledBy : (mark.by ?? task.data?.createdBy);
  const lines = [
    `${mark.command} at ${formatClock(mark.atMs)}`,
    `task ${mark.taskId} → ${mark.agentId}`,
    `by ${who ?? (task.isPending ? '…' : 'unknown')}`,
    `status ${task.data?.status ?? mark.status}`,
  ];
  const width = Math.max(...lines.map((line) => line.length)) * CHAR_PX + 12;
  const left = px + 10 + width > right ? px - 10 - width : px + 10;
  return (
    <g className="command-popup" role="tooltip" pointerEvents="none">
      <rect
        x={left}
        y={top + 4}
        width={width}
        height={lines.length * POPUP_LINE_PX + 8}
        rx={4}
        fill="var(--panel)"
        stroke="var(--border)"
      />
      {lines.map((line, i) => (
        <text key={i} x={left + 6} y={top + 4 + (i + 1) * POPUP_LINE_PX} fontSize={11} fill="var(--text)">
          {line}
        </text>
      ))}
    </g>
  );
}
