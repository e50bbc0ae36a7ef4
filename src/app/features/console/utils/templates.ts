/** The command templates of the publish console. */
import { Channel, CommandName } from '@nexus-realtime/client/protocol';
import { freshTaskId } from '../../../lib/task-id';

/** Shown in a cancel_task template before this console has used any task id. */
export const TASK_ID_PLACEHOLDER = 'task_id_here';

export interface Template {
  readonly channel: string;
  readonly payload: string;
}

export function executeTaskTemplate(taskId: string): Template {
  const payload = { command: CommandName.ExecuteTask, task_id: taskId, agent_id: 'agent_001', params: {} };
  return { channel: Channel.Commands, payload: JSON.stringify(payload, null, 2) };
}

export function cancelTaskTemplate(taskId: string | undefined): Template {
  const payload = { command: CommandName.CancelTask, task_id: taskId ?? TASK_ID_PLACEHOLDER };
  return { channel: Channel.Commands, payload: JSON.stringify(payload, null, 2) };
}

/** The `task_id` of a payload, so cancel_task can target the task this console last touched. */
export function taskIdOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const id = (value as Record<string, unknown>).task_id;
  return typeof id === 'string' && id !== '' && id !== TASK_ID_PLACEHOLDER ? id : undefined;
}

/**
 * After a send of an execute_task whose `task_id` the console itself chose (the template's, or the
 * one this renewed last time), the payload text to show next: the same command with a fresh id, so
 * the next Send creates another task instead of being refused as a duplicate. Undefined for any
 * other payload, and for an id the person typed (sending that twice is theirs to decide).
 */
export function renewedExecuteTask(
  value: unknown,
  consoleTaskId: string | undefined,
  nextId: () => string = freshTaskId,
): { readonly payload: string; readonly taskId: string } | undefined {
  if (consoleTaskId === undefined || taskIdOf(value) !== consoleTaskId) return undefined;
  if ((value as Record<string, unknown>).command !== CommandName.ExecuteTask) return undefined;
  const taskId = nextId();
  return { payload: JSON.stringify({ ...(value as object), task_id: taskId }, null, 2), taskId };
}
