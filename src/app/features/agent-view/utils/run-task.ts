/**
 * The `execute_task` the agent view's "Run task" form sends: this agent, a fresh task id each
 * time, the script as `params.script` beside any JSON params. Checked with the protocol's schema
 * (ids, params size) before it is sent. No React, no I/O.
 */
import { CommandName, executeTaskSchema, type ExecuteTaskCommand } from '@nexus-realtime/client/protocol';

export type RunTaskResult =
  { readonly ok: true; readonly command: ExecuteTaskCommand } | { readonly ok: false; readonly error: string };

/** Params as typed: empty is none, otherwise a JSON object. */
export function parseRunParams(
  text: string,
): { ok: true; params?: Record<string, unknown> } | { ok: false; error: string } {
  if (text.trim() === '') return { ok: true };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `Params is not valid JSON: ${(error as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: false, error: 'Params must be a JSON object, e.g. {"retries": 2}' };
  return { ok: true, params: value as Record<string, unknown> };
}

export function runTaskCommand(agentId: string, script: string, paramsText: string, taskId: string): RunTaskResult {
  const parsed = parseRunParams(paramsText);
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
