/**
 * What the task domain lets through, checked at the edge (WebSocket and REST publishes alike)
 * before a message reaches anyone:
 * - `commands`: a known command with a task id (execute_task: an id not in use, params at most
 *   16 KiB; cancel_task: a task that exists). Agents never publish commands: tasks come only from
 *   operators and admins.
 * - `tasks`: a well-formed update of a task that exists. An agent reports only on the tasks it
 *   runs (addressed to it, or the unaddressed task whose claim it won) and never reassigns one.
 * - `tasks.claims`, `telemetry`: an agent speaks only for its own agent id.
 * A refusal answers `invalid_command` (malformed), `not_found` (no such task) or `forbidden` (not
 * yours to say), and nothing is delivered.
 */
import {
  Channel,
  CommandName,
  ErrorCode,
  Role,
  commandSchema,
  taskClaimSchema,
  taskUpdateSchema,
} from '@nexus-realtime/client/protocol';
import type { Principal } from '../auth.js';
import type { TaskRegistry } from './tasks.js';

export type DomainRefusalCode =
  typeof ErrorCode.InvalidCommand | typeof ErrorCode.NotFound | typeof ErrorCode.Forbidden;

export type DomainCheck =
  { readonly ok: true } | { readonly ok: false; readonly code: DomainRefusalCode; readonly message: string };

/** Who publishes, and the task state the check reads. */
export interface PublishActor {
  readonly principal: Principal;
  readonly tasks: Pick<TaskRegistry, 'get' | 'mayUpdate'>;
}

const OK: DomainCheck = { ok: true };
const KNOWN_COMMANDS: ReadonlySet<unknown> = new Set(Object.values(CommandName));

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const refuse = (code: DomainRefusalCode, message: string): DomainCheck => ({ ok: false, code, message });

/** Channels whose payloads `checkDomainPublish` reads; on any other it lets everything through. */
const CHECKED_CHANNELS: ReadonlySet<string> = new Set([
  Channel.Commands,
  Channel.Tasks,
  Channel.TaskClaims,
  Channel.Telemetry,
]);

/** Whether `checkDomainPublish` reads the payload of a publish on `channel` (else it need not be parsed). */
export function readsPayload(channel: string): boolean {
  return CHECKED_CHANNELS.has(channel);
}

/** Whether `actor` may publish `payload` on `channel` as far as the task domain is concerned. */
export function checkDomainPublish(channel: string, payload: unknown, actor: PublishActor): DomainCheck {
  switch (channel) {
    case Channel.Commands:
      return checkCommand(payload, actor);
    case Channel.Tasks:
      return checkTaskUpdate(payload, actor);
    case Channel.TaskClaims:
      return checkClaim(payload, actor);
    case Channel.Telemetry:
      return checkTelemetry(payload, actor);
    default:
      return OK;
  }
}

function checkCommand(payload: unknown, { principal, tasks }: PublishActor): DomainCheck {
  if (principal.role === Role.Agent) return refuse(ErrorCode.Forbidden, 'agents cannot send commands or create tasks');
  const name = isRecord(payload) ? payload.command : undefined;
  if (!KNOWN_COMMANDS.has(name)) {
    return refuse(
      ErrorCode.InvalidCommand,
      `unknown command ${JSON.stringify(name ?? null)}: expected one of ${[...KNOWN_COMMANDS].join(', ')}`,
    );
  }
  const parsed = commandSchema.safeParse(payload);
  if (!parsed.success) return invalid(parsed.error.issues, 'command');
  const command = parsed.data;
  const exists = tasks.get(command.task_id) !== undefined;
  if (command.command === CommandName.ExecuteTask && exists) {
    return refuse(ErrorCode.InvalidCommand, `task ${command.task_id} already exists: pick a new task_id`);
  }
  if (command.command === CommandName.CancelTask && !exists) {
    return refuse(ErrorCode.NotFound, `no task ${command.task_id}`);
  }
  return OK;
}

function checkTaskUpdate(payload: unknown, { principal, tasks }: PublishActor): DomainCheck {
  const parsed = taskUpdateSchema.safeParse(payload);
  if (!parsed.success) return invalid(parsed.error.issues, 'task update');
  const update = parsed.data;
  if (principal.role === Role.Agent) {
    const agentId = agentIdOf(principal);
    if (!tasks.mayUpdate(agentId, update.task_id)) {
      return refuse(ErrorCode.Forbidden, `agent ${agentId} does not run task ${update.task_id}`);
    }
    if (update.agent_id != null && update.agent_id !== agentId) {
      return refuse(ErrorCode.Forbidden, `agent ${agentId} cannot hand task ${update.task_id} to another agent`);
    }
    return OK;
  }
  return tasks.get(update.task_id) ? OK : refuse(ErrorCode.NotFound, `no task ${update.task_id}`);
}

function checkClaim(payload: unknown, { principal }: PublishActor): DomainCheck {
  if (principal.role !== Role.Agent) return OK;
  const parsed = taskClaimSchema.safeParse(payload);
  if (!parsed.success) return invalid(parsed.error.issues, 'claim');
  const agentId = agentIdOf(principal);
  return parsed.data.agent_id === agentId
    ? OK
    : refuse(ErrorCode.Forbidden, `agent ${agentId} may claim tasks only for itself`);
}

function checkTelemetry(payload: unknown, { principal }: PublishActor): DomainCheck {
  if (principal.role !== Role.Agent) return OK;
  const agentId = agentIdOf(principal);
  const claimed = isRecord(payload) ? payload.agent_id : undefined;
  return claimed === agentId
    ? OK
    : refuse(ErrorCode.Forbidden, `agent ${agentId} may publish telemetry only with agent_id "${agentId}"`);
}

function agentIdOf(principal: Principal): string {
  return principal.agentId ?? principal.userId;
}

function invalid(issues: readonly { path: PropertyKey[]; message: string }[], what: string): DomainCheck {
  const issue = issues[0];
  const where = issue?.path.map(String).join('.') || what;
  return refuse(ErrorCode.InvalidCommand, `invalid ${what}: ${where}: ${issue?.message ?? 'refused'}`);
}
