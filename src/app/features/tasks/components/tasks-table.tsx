/**
 * The task rows: id (a link to the task's timeline), agent, status (with the error of a failed task), progress, last update, and —
 * for people who may send commands — a Cancel button while the task is not final, with its result.
 */
import { memo, type CSSProperties } from 'react';
import { TaskStatus, type Task } from '@nexus-realtime/client/protocol';
import { RelativeTime, useNow } from '../../../components/relative-time';
import { RouteLink } from '../../../components/route-link';
import type { CancelOutcome, CancelTask } from '../hooks/use-cancel-task';
import { isCancellable } from '../utils/task-commands';

/** Scrolls inside the panel so a long list never stretches the page. */
const scrollStyle: CSSProperties = { maxHeight: 360, overflow: 'auto' };
const headStyle: CSSProperties = { position: 'sticky', top: 0, background: 'var(--panel)', zIndex: 1 };
const progressStyle: CSSProperties = { display: 'flex', alignItems: 'center', gap: 6, minWidth: 120 };
const percentStyle: CSSProperties = { minWidth: '3.5ch', textAlign: 'right', fontVariantNumeric: 'tabular-nums' };

const COLUMNS = ['Task', 'Agent', 'Status', 'Progress', 'Updated'] as const;

export function TasksTable({
  tasks,
  labelledBy,
  cancelling,
}: {
  tasks: readonly Task[];
  labelledBy: string;
  /** Given to people who may cancel (operators, admins): adds the Actions column. */
  cancelling?: CancelTask | undefined;
}) {
  // The clock lives here so its tick re-renders the rows, not the whole panel.
  const nowMs = useNow();
  const columns = cancelling ? [...COLUMNS, 'Actions'] : COLUMNS;
  return (
    // Focusable so keyboard users can scroll it; named after the panel heading.
    <div style={scrollStyle} tabIndex={0} role="group" aria-labelledby={labelledBy}>
      <table aria-label="Tasks">
        <thead>
          <tr>
            {columns.map((name) => (
              <th key={name} scope="col" style={headStyle}>
                {name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {tasks.map((task) => (
            <TaskRow
              key={task.task_id}
              task={task}
              nowMs={nowMs}
              onCancel={cancelling?.cancel}
              outcome={cancelling?.outcomes.get(task.task_id)}
            />
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Memoised: a live update replaces only its own task object, so only that row renders again. */
const TaskRow = memo(function TaskRow({
  task,
  nowMs,
  onCancel,
  outcome,
}: {
  task: Task;
  nowMs: number;
  onCancel?: ((taskId: string) => void) | undefined;
  outcome?: CancelOutcome | undefined;
}) {
  const percent = Math.round(task.progress);
  return (
    <tr>
      <td className="mono">
        {/* Opens the task's timeline (its own address, /tasks/<id>). */}
        <RouteLink route={{ kind: 'task', taskId: task.task_id }}>{task.task_id}</RouteLink>
      </td>
      <td>{task.agent_id ?? <span className="muted">unassigned</span>}</td>
      <td>
        <span className="badge" data-status={task.status}>
          {task.status}
        </span>
        {task.status === TaskStatus.Failed && task.error && <div className="error-text">{task.error}</div>}
      </td>
      <td>
        <div style={progressStyle}>
          <progress max={100} value={task.progress} aria-label={`Progress of ${task.task_id}`} />
          <span style={percentStyle}>{percent}%</span>
        </div>
      </td>
      <td className="muted">
        <UpdatedAt iso={task.updated_at} nowMs={nowMs} />
      </td>
      {onCancel && (
        <td>
          <CancelCell task={task} onCancel={onCancel} outcome={outcome} />
        </td>
      )}
    </tr>
  );
});

/** Agents may send their own `updated_at`; one that does not parse must not break the table. */
function UpdatedAt({ iso, nowMs }: { iso: string; nowMs: number }) {
  const timeMs = Date.parse(iso);
  return Number.isNaN(timeMs) ? <span title={iso}>—</span> : <RelativeTime timeMs={timeMs} nowMs={nowMs} />;
}

function CancelCell({
  task,
  onCancel,
  outcome,
}: {
  task: Task;
  onCancel: (taskId: string) => void;
  outcome: CancelOutcome | undefined;
}) {
  return (
    <div className="tasks-action">
      {isCancellable(task) && (
        <button
          type="button"
          className="btn small"
          disabled={outcome?.pending === true}
          onClick={() => onCancel(task.task_id)}
          aria-label={`Cancel ${task.task_id}`}
        >
          Cancel
        </button>
      )}
      <span aria-live="polite" className={outcome?.ok === false ? 'error-text mono' : 'muted mono'}>
        {outcome?.text}
      </span>
    </div>
  );
}
