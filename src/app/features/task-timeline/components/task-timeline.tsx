/**
 * A task's timeline: its status now, then each step with its time (`HH:MM:SS`, as everywhere on
 * the page), what happened and who did it — created by, reached the agent, every status, who
 * cancelled it. Kept up to date while the task may change.
 */
import { memo } from 'react';
import { EmptyState } from '../../../components/panel';
import { LoadError } from '../../../components/load-error';
import { loadErrorText } from '../../../lib/load-error-text';
import { formatClock, formatDateTime } from '../../../lib/time-format';
import { useTask, type TaskWithTimeline } from '../api/get-task';
import { useTaskLive } from '../hooks/use-task-live';
import { cancelledBy, timelineSteps } from '../utils/timeline';
import './task-timeline.css';

export function TaskTimeline({ taskId }: { taskId: string }) {
  useTaskLive(taskId);
  const { data, error, isPending, refetch } = useTask(taskId);
  if (isPending) return <EmptyState>Loading the timeline of {taskId}…</EmptyState>;
  if (error && !data)
    return <LoadError what="the task" message={loadErrorText(error)} onRetry={() => void refetch()} />;
  if (!data) return <EmptyState>No task {taskId} on the server (yet).</EmptyState>;
  return <Timeline task={data} />;
}

const Timeline = memo(function Timeline({ task }: { task: TaskWithTimeline }) {
  const steps = timelineSteps(task);
  const canceller = cancelledBy(task);
  const delivered = task.delivered_at != null;
  return (
    <div className="task-timeline">
      <p className="task-timeline-summary">
        <span className="badge" data-status={task.status}>
          {task.status}
        </span>{' '}
        <span className="muted">
          {Math.round(task.progress)}% · {task.agent_id ?? 'any agent'}
          {task.created_by ? ` · created by ${task.created_by}` : ''}
          {canceller ? ` · cancelled by ${canceller}` : ''}
          {!delivered && task.status === 'queued' ? ' · not delivered yet: the agent has no connection' : ''}
        </span>
      </p>
      <ol className="task-steps" aria-label={`Timeline of ${task.task_id}`}>
        {steps.map((step) => (
          <li key={step.key} data-step={step.status}>
            {/* Spaces between the parts, so the step reads as a sentence (and aloud). */}
            <time className="mono" title={Number.isNaN(step.atMs) ? undefined : formatDateTime(step.atMs)}>
              {Number.isNaN(step.atMs) ? '—' : formatClock(step.atMs)}
            </time>{' '}
            <strong>{step.label}</strong>
            {step.by && <span> by {step.by}</span>}
            {step.detail && <span className="muted"> · {step.detail}</span>}
          </li>
        ))}
      </ol>
      {task.error && task.status === 'failed' && <p className="error-text">{task.error}</p>}
    </div>
  );
});
