/** The task rows: id, agent, status (with the error of a failed task), progress, last update. */
import { memo, type CSSProperties } from 'react';
import { TaskStatus, type Task } from '@nexus-realtime/client/protocol';
import { RelativeTime, useNow } from '../../../components/relative-time';

/** Scrolls inside the panel so a long list never stretches the page. */
const scrollStyle: CSSProperties = { maxHeight: 360, overflow: 'auto' };
const headStyle: CSSProperties = { position: 'sticky', top: 0, background: 'var(--panel)', zIndex: 1 };
const progressStyle: CSSProperties = { display: 'flex', alignItems: 'center', gap: 6, minWidth: 120 };
const percentStyle: CSSProperties = { minWidth: '3.5ch', textAlign: 'right', fontVariantNumeric: 'tabular-nums' };

export function TasksTable({ tasks, labelledBy }: { tasks: readonly Task[]; labelledBy: string }) {
  // The clock lives here so its tick re-renders the rows, not the whole panel.
  const nowMs = useNow();
  return (
    // Focusable so keyboard users can scroll it; named after the panel heading.
    <div style={scrollStyle} tabIndex={0} role="group" aria-labelledby={labelledBy}>
      <table aria-label="Tasks">
        <thead>
          <tr>
            {['Task', 'Agent', 'Status', 'Progress', 'Updated'].map((name) => (
              <th key={name} scope="col" style={headStyle}>
                {name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {tasks.map((task) => (
            <TaskRow key={task.task_id} task={task} nowMs={nowMs} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Memoised: a live update replaces only its own task object, so only that row renders again. */
const TaskRow = memo(function TaskRow({ task, nowMs }: { task: Task; nowMs: number }) {
  const percent = Math.round(task.progress);
  return (
    <tr>
      <td className="mono">{task.task_id}</td>
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
    </tr>
  );
});

/** Agents may send their own `updated_at`; one that does not parse must not break the table. */
function UpdatedAt({ iso, nowMs }: { iso: string; nowMs: number }) {
  const timeMs = Date.parse(iso);
  return Number.isNaN(timeMs) ? <span title={iso}>—</span> : <RelativeTime timeMs={timeMs} nowMs={nowMs} />;
}
