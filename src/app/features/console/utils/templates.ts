/** The command templates of the publish console. */
import { Channel, CommandName } from '@nexus-realtime/client/protocol';

/** Shown in a cancel_task template before this console has used any task id. */
export const TASK_ID_PLACEHOLDER = 'task_id_here';

export interface Template {
  readonly channel: string;
  readonly payload: string;
}

const ID_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';
/** 10 base-36 characters: about 50 bits, plenty for ids typed by hand in one fleet. */
const TASK_ID_LENGTH = 10;

/**
 * A fresh task id such as `task_k3v9x0q2mz`. getRandomValues rather than randomUUID: the latter
 * exists only in secure contexts, and the dashboard may be served over plain http on a LAN.
 */
export function freshTaskId(
  randomBytes: (count: number) => ArrayLike<number> = (count) => crypto.getRandomValues(new Uint8Array(count)),
): string {
  const bytes = Array.from(randomBytes(TASK_ID_LENGTH));
  let id = '';
  for (const byte of bytes) id += ID_ALPHABET[byte % ID_ALPHABET.length];
  return `task_${id}`;
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
