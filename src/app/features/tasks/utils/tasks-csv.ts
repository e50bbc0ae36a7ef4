/** The Tasks table as CSV: the tasks listed (with the status filter applied), one row each. */
import type { Task } from '@nexus-realtime/client/protocol';
import { toCsv } from '../../../lib/csv';

type TaskRow = Task & { readonly created_by?: string; readonly delivered_at?: string | null };

const COLUMNS = [
  ['task_id', (t: TaskRow) => t.task_id],
  ['agent_id', (t: TaskRow) => t.agent_id],
  ['command', (t: TaskRow) => t.command],
  ['status', (t: TaskRow) => t.status],
  ['progress', (t: TaskRow) => t.progress],
  ['created_by', (t: TaskRow) => t.created_by],
  ['created_at', (t: TaskRow) => t.created_at],
  ['delivered_at', (t: TaskRow) => t.delivered_at],
  ['updated_at', (t: TaskRow) => t.updated_at],
  ['error', (t: TaskRow) => t.error],
  ['params', (t: TaskRow) => (t.params === undefined ? undefined : JSON.stringify(t.params))],
] as const;

export function tasksCsv(tasks: readonly Task[]): string {
  return toCsv(COLUMNS, tasks);
}
