/**
 * An agent's tasks, newest first: id, status, progress and last update; a click on a task opens
 * its timeline under it (the timeline itself comes from the page, `renderTimeline`).
 */
import { memo, useMemo, type ReactNode } from 'react';
import type { Task } from '@nexus-realtime/client/protocol';
import { EmptyState } from '../../../components/panel';
import { LoadError } from '../../../components/load-error';
import { RelativeTime, useNow } from '../../../components/relative-time';
import { loadErrorText } from '../../../lib/load-error-text';
import { useAgentTasks } from '../api/get-agent-tasks';
import { useAgentTasksLive } from '../hooks/use-agent-tasks-live';

export function AgentTasks({
  agentId,
  openTaskIds,
  onToggle,
  renderTimeline,
}: {
  agentId: string;
  openTaskIds: ReadonlySet<string>;
  onToggle: (taskId: string) => void;
  renderTimeline: (taskId: string) => ReactNode;
}) {
  const { data, error, refetch } = useAgentTasks(agentId);
  const ids = useMemo(() => new Set((data ?? []).map((task) => task.task_id)), [data]);
  useAgentTasksLive(agentId, ids);
  const nowMs = useNow();
  if (error && !data)
    return <LoadError what="its tasks" message={loadErrorText(error)} onRetry={() => void refetch()} />;
  if (!data) return <EmptyState>Loading its tasks…</EmptyState>;
  if (data.length === 0) return <EmptyState>No task for {agentId} yet.</EmptyState>;
  return (
    <table aria-label={`Tasks of ${agentId}`} className="agent-tasks">
      <thead>
        <tr>
          <th scope="col">Task</th>
          <th scope="col">Status</th>
          <th scope="col">Progress</th>
          <th scope="col">Updated</th>
        </tr>
      </thead>
      <tbody>
        {data.map((task) => (
          <TaskRows
            key={task.task_id}
            task={task}
            nowMs={nowMs}
            open={openTaskIds.has(task.task_id)}
            onToggle={onToggle}
            timeline={openTaskIds.has(task.task_id) ? renderTimeline(task.task_id) : null}
          />
        ))}
      </tbody>
    </table>
  );
}

const TaskRows = memo(function TaskRows({
  task,
  nowMs,
  open,
  onToggle,
  timeline,
}: {
  task: Task;
  nowMs: number;
  open: boolean;
  onToggle: (taskId: string) => void;
  timeline: ReactNode;
}) {
  const updatedMs = Date.parse(task.updated_at);
  const timelineId = `timeline-${task.task_id}`;
  return (
    <>
      <tr>
        <td>
          <button
            type="button"
            className="link-button mono"
            aria-expanded={open}
            aria-controls={open ? timelineId : undefined}
            onClick={() => onToggle(task.task_id)}
          >
            {task.task_id}
          </button>
        </td>
        <td>
          <span className="badge" data-status={task.status}>
            {task.status}
          </span>
        </td>
        <td className="mono">{Math.round(task.progress)}%</td>
        <td className="muted">{Number.isNaN(updatedMs) ? '—' : <RelativeTime timeMs={updatedMs} nowMs={nowMs} />}</td>
      </tr>
      {open && (
        <tr>
          <td colSpan={4} id={timelineId}>
            {timeline}
          </td>
        </tr>
      )}
    </>
  );
});
