/**
 * The task commands the Tasks board sends on `commands`, built and checked here with no React and
 * no I/O: who may send them, which tasks can still be cancelled, the `execute_task` frame of the
 * "New task" form (a fresh task id every send), and the warning for an agent nobody knows.
 */
import {
  CommandName,
  FINAL_TASK_STATUSES,
  executeTaskSchema,
  type CancelTaskCommand,
  type ExecuteTaskCommand,
  type Task,
} from '@nexus-realtime/client/protocol';
import { parseParams } from '../../../lib/task-params';

export { parseParams, type ParsedParams } from '../../../lib/task-params';

/** Roles the server lets publish on `commands`. */
const COMMANDING_ROLES: ReadonlySet<string> = new Set(['operator', 'admin']);

/** Operators and admins send task commands; viewers (and a page not signed in) only watch. */
export function canCommandTasks(role: string | undefined): boolean {
  return role !== undefined && COMMANDING_ROLES.has(role);
}

/** A task not in a final state (queued or running) can still be cancelled. */
export function isCancellable(task: Pick<Task, 'status'>): boolean {
  return !FINAL_TASK_STATUSES.has(task.status);
}

/** `{"command":"cancel_task","task_id"}`, the frame the console's cancel_task template sends. */
export function cancelTaskCommand(taskId: string): CancelTaskCommand {
  return { command: CommandName.CancelTask, task_id: taskId };
}

/** What the "New task" form holds, as typed. */
export interface NewTaskInput {
  /** Empty: any agent may claim the task. */
  readonly agentId: string;
  /** The command or script the agent runs; sent as `params.script`. Empty: none. */
  readonly script: string;
  /** A JSON object, or empty for none. */
  readonly paramsText: string;
}

export type BuiltCommand =
  { readonly ok: true; readonly command: ExecuteTaskCommand } | { readonly ok: false; readonly error: string };

/**
 * The `execute_task` frame for `taskId` (a fresh one per send, so a second send is a second task,
 * never refused as a duplicate). Checked with the protocol's own schema (ids, params size).
 */
export function executeTaskCommand(input: NewTaskInput, taskId: string): BuiltCommand {
  const parsed = parseParams(input.paramsText);
  if (!parsed.ok) return parsed;
  const script = input.script.trim();
  const params = script === '' ? parsed.params : { ...parsed.params, script };
  const agentId = input.agentId.trim();
  const candidate = {
    command: CommandName.ExecuteTask,
    task_id: taskId,
    ...(agentId === '' ? {} : { agent_id: agentId }),
    ...(params === undefined ? {} : { params }),
  };
  const checked = executeTaskSchema.safeParse(candidate);
  if (!checked.success) return { ok: false, error: checked.error.issues[0]?.message ?? 'invalid task' };
  return { ok: true, command: checked.data };
}

/** Every agent id the page knows of (REST list and live telemetry), once each, sorted. */
export function knownAgentIds(fetched: readonly string[] | undefined, live: readonly string[]): string[] {
  return [...new Set([...(fetched ?? []), ...live])].sort((a, b) => a.localeCompare(b));
}

/** A warning when a typed agent is not one the page knows (a typo sends a task nobody runs). */
export function unknownAgentWarning(agentId: string, known: readonly string[]): string | undefined {
  const id = agentId.trim();
  if (id === '' || known.includes(id)) return undefined;
  return `Unknown agent "${id}": no agent with this id has been seen. The task will wait for it and fail if nobody takes it.`;
}

/** The outcome of a send as people read it: "ack seq 12" or "error not_found: …". */
export function describeSendResult(
  result:
    | { readonly ok: true; readonly seq: number }
    | { readonly ok: false; readonly code: string; readonly message: string },
): string {
  return result.ok ? `ack seq ${result.seq}` : `error ${result.code}: ${result.message}`;
}
