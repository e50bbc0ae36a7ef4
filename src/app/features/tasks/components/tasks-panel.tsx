/**
 * The "Tasks" panel: loaded with GET /api/tasks, kept live from the `tasks`
 * channel, filtered by status on the client (the list is capped, so no round trip is needed).
 * Operators and admins also get a "New task" form and a Cancel button per unfinished task.
 * "Download CSV" saves the tasks listed (the status filter applied).
 */
import { useMemo, useState } from 'react';
import { TASK_STATUSES, type Task, type TaskStatus } from '@nexus-realtime/client/protocol';
import { EmptyState, Panel } from '../../../components/panel';
import { useConnection } from '../../../hooks/use-stores';
import { loadErrorText } from '../../../lib/load-error-text';
import { useTasks } from '../api/get-tasks';
import { useCancelTask, type CancelTask } from '../hooks/use-cancel-task';
import { useLiveTasks } from '../hooks/use-live-tasks';
import { canCommandTasks } from '../utils/task-commands';
import { NewTaskForm } from './new-task-form';
import { TasksTable } from './tasks-table';
import { LoadError } from '../../../components/load-error';
import { csvFileName } from '../../../lib/csv';
import { downloadBlob } from '../../../lib/download';
import { tasksCsv } from '../utils/tasks-csv';

type StatusFilter = TaskStatus | 'all';

const HEADING_ID = 'tasks-heading';

export function TasksPanel() {
  useLiveTasks();
  const { data, error, refetch } = useTasks();
  const [filter, setFilter] = useState<StatusFilter>('all');
  const [formOpen, setFormOpen] = useState(false);
  const commanding = canCommandTasks(useConnection((s) => s.role));
  const cancelling = useCancelTask();
  const visible = useMemo(
    () => (filter === 'all' ? data : data?.filter((task) => task.status === filter)),
    [data, filter],
  );
  const retry = () => void refetch();
  const actions = (
    <>
      {data && <span className="muted">{countText(visible?.length ?? 0, data.length, filter)}</span>}
      <StatusSelect value={filter} onChange={setFilter} />
      <button
        type="button"
        className="btn small"
        disabled={!visible?.length}
        onClick={() => visible && downloadTasksCsv(visible)}
      >
        Download CSV
      </button>
      {commanding && (
        <button type="button" className="btn small" aria-expanded={formOpen} onClick={() => setFormOpen(!formOpen)}>
          New task
        </button>
      )}
    </>
  );
  return (
    <Panel title="Tasks" label="Tasks" id="tasks" actions={actions}>
      <div className="panel-body">
        {commanding && formOpen && <NewTaskForm />}
        {error && data && <LoadError what="tasks" message={loadErrorText(error)} onRetry={retry} />}
        <TasksBody
          all={data}
          visible={visible}
          error={error}
          filter={filter}
          onRetry={retry}
          cancelling={commanding ? cancelling : undefined}
        />
      </div>
    </Panel>
  );
}

function TasksBody({
  all,
  visible,
  error,
  filter,
  onRetry,
  cancelling,
}: {
  all: Task[] | undefined;
  visible: Task[] | undefined;
  error: Error | null;
  filter: StatusFilter;
  onRetry: () => void;
  cancelling: CancelTask | undefined;
}) {
  if (!all)
    return error ? (
      <LoadError what="tasks" message={loadErrorText(error)} onRetry={onRetry} />
    ) : (
      <EmptyState>Loading tasks…</EmptyState>
    );
  if (all.length === 0) return <EmptyState>No tasks yet. Send an execute_task from the publish console.</EmptyState>;
  if (!visible?.length) return <EmptyState>No {filter} tasks.</EmptyState>;
  return <TasksTable tasks={visible} labelledBy={HEADING_ID} cancelling={cancelling} />;
}

function downloadTasksCsv(tasks: readonly Task[]): void {
  downloadBlob(new Blob([tasksCsv(tasks)], { type: 'text/csv' }), csvFileName('tasks', Date.now()));
}

function countText(shown: number, total: number, filter: StatusFilter): string {
  const noun = total === 1 ? 'task' : 'tasks';
  return filter === 'all' ? `${total} ${noun}` : `${shown} of ${total} ${noun}`;
}

function StatusSelect({ value, onChange }: { value: StatusFilter; onChange: (next: StatusFilter) => void }) {
  return (
    <select
      aria-label="Filter by status"
      value={value}
      onChange={(event) => onChange(event.target.value as StatusFilter)}
    >
      <option value="all">All</option>
      {TASK_STATUSES.map((status) => (
        <option key={status} value={status}>
          {status}
        </option>
      ))}
    </select>
  );
}
