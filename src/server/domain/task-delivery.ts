/**
 * `delivered_at`: when a task's command first reached a connection of its agent. The process
 * holding that connection sees it (live, or replayed to an agent that comes back and recovers
 * what it missed) and publishes a note on `tasks.delivered` (from `nexus`); every process's task
 * registry takes the first note of a task, so the time is the same everywhere and is stored with
 * the task. A note is published once per task per process at most.
 */
import { Channel, CommandName, Role } from '@nexus-realtime/client/protocol';
import { SERVER_USER_ID, type Principal } from '../auth.js';
import type { Broker, BrokerMessage } from '../broker/index.js';
import type { Logger } from '../logger.js';
import type { TaskRegistry } from './tasks.js';

/** Called by a connection for each `commands` message it sends its peer. */
export type CommandDelivered = (message: BrokerMessage, principal: Principal) => void;

/** Tasks whose note this process is publishing, at most: past it the set starts over. */
const MAX_PENDING_NOTES = 10_000;

export function createDeliveryNotes(
  tasks: Pick<TaskRegistry, 'awaitsDelivery'>,
  broker: Broker,
  now: () => number,
  logger: Logger,
): CommandDelivered {
  const pending = new Set<string>();
  const announce = (taskId: string, agentId: string, atMs: number) => {
    // The hub may hand the command to a connection before this process's registry saw it.
    if (pending.has(taskId) || !tasks.awaitsDelivery(taskId, agentId)) return;
    if (pending.size >= MAX_PENDING_NOTES) pending.clear();
    pending.add(taskId);
    const data = { task_id: taskId, agent_id: agentId, delivered_at: new Date(atMs).toISOString() };
    broker
      .publish({ channel: Channel.TaskDeliveries, kind: 'broadcast', from: SERVER_USER_ID, data })
      .catch((error: unknown) => logger.debug({ err: (error as Error).message, taskId }, 'delivery note not published'))
      .finally(() => pending.delete(taskId));
  };
  return (message, principal) => {
    if (principal.role !== Role.Agent || message.channel !== Channel.Commands) return;
    const data = message.data as { command?: unknown; task_id?: unknown } | null;
    if (typeof data !== 'object' || data === null || data.command !== CommandName.ExecuteTask) return;
    const taskId = data.task_id;
    if (typeof taskId !== 'string') return;
    const agentId = principal.agentId ?? principal.userId;
    const atMs = now();
    queueMicrotask(() => announce(taskId, agentId, atMs));
  };
}
