/**
 * The `execute_task` the agent view's "Run task" form sends: this agent, a fresh task id each
 * time, the script as `params.script` beside any JSON params. Checked with the protocol's schema
 * (ids, params size) before it is sent. No React, no I/O.
 */
import { CommandName, executeTaskSchema, type ExecuteTaskCommand } from '@nexus-realtime/client/protocol';
import { parseParams } from '../../../lib/task-params';

export type RunTaskResult =
  { readonly ok: true; readonly command: ExecuteTaskCommand } | { readonly ok: false; readonly error: string };

export function runTaskCommand(agentId: string, script: string, paramsText: string, taskId: string): RunTaskResult {
  const parsed = parseParams(paramsText);
  if (!parsed.ok) return parsed;
  const trimmed = script.trim();
  const params = trimmed === '' ? parsed.params : { ...parsed.params, script: trimmed };
  const checked = executeTaskSchema.safeParse({
    command: CommandName.ExecuteTask,
    task_id: taskId,
    agent_id: agentId,
    ...(params === undefined ? {} : { params }),
  });
  if (!checked.success) return { ok: false, error: checked.error.issues[0]?.message ?? 'invalid task' };
  return { ok: true, command: checked.data };
}
