/**
 * The domain channels of an agent fleet: telemetry, commands, tasks, events,
 * and the shapes of their payloads.
 */
import { z } from 'zod';
import { Limits } from './limits.js';

export const Channel = {
  Telemetry: 'telemetry',
  Commands: 'commands',
  Tasks: 'tasks',
  Events: 'events',
  /** Agents claim unaddressed tasks here; the first claim (lowest seq) wins. */
  TaskClaims: 'tasks.claims',
  /** The server's per-second fleet summary of every metric (band and top agents). */
  TelemetryFleet: 'telemetry.fleet',
  /** The server's agent state changes. */
  Agents: 'agents',
  /** The server's alert changes. */
  Alerts: 'alerts',
} as const;
export type Channel = (typeof Channel)[keyof typeof Channel];

/**
 * Channels only the server publishes on: a client's publish there (any role, WebSocket or REST)
 * is refused with `forbidden`, whatever the policy says, so their messages are always the server's.
 */
export const RESERVED_CHANNELS: ReadonlySet<string> = new Set([Channel.TelemetryFleet, Channel.Agents, Channel.Alerts]);

/** Whether only the server may publish on `channel`. */
export function isReservedChannel(channel: string): boolean {
  return RESERVED_CHANNELS.has(channel);
}

/** Channels the dashboard subscribes to by default. */
export const DEFAULT_CHANNELS: readonly string[] = [Channel.Telemetry, Channel.Tasks, Channel.Commands, Channel.Events];

export const TaskStatus = {
  Queued: 'queued',
  Running: 'running',
  Succeeded: 'succeeded',
  Failed: 'failed',
  Cancelled: 'cancelled',
} as const;
export type TaskStatus = (typeof TaskStatus)[keyof typeof TaskStatus];
export const TASK_STATUSES = Object.values(TaskStatus) as [TaskStatus, ...TaskStatus[]];
/** Statuses a task never leaves. */
export const FINAL_TASK_STATUSES: ReadonlySet<TaskStatus> = new Set([
  TaskStatus.Succeeded,
  TaskStatus.Failed,
  TaskStatus.Cancelled,
]);

export const CommandName = {
  ExecuteTask: 'execute_task',
  CancelTask: 'cancel_task',
} as const;

const idString = z.string().min(1).max(128);

/** Size of a value as UTF-8 JSON, in bytes. */
export function jsonByteLength(value: unknown): number {
  return new TextEncoder().encode(JSON.stringify(value) ?? '').length;
}

/** Task parameters: an object of at most `Limits.maxTaskParamsBytes` as JSON. */
export const taskParamsSchema = z
  .record(z.string(), z.unknown())
  .refine(
    (params) => jsonByteLength(params) <= Limits.maxTaskParamsBytes,
    `params must be at most ${Limits.maxTaskParamsBytes} bytes of JSON`,
  );

/** `{"command":"execute_task","task_id","agent_id"?,"params"?}` */
export const executeTaskSchema = z.object({
  command: z.literal(CommandName.ExecuteTask),
  task_id: idString,
  agent_id: idString.optional(),
  params: taskParamsSchema.optional(),
});
/** `{"command":"cancel_task","task_id"}` */
export const cancelTaskSchema = z.object({
  command: z.literal(CommandName.CancelTask),
  task_id: idString,
});
export const commandSchema = z.discriminatedUnion('command', [executeTaskSchema, cancelTaskSchema]);
export type ExecuteTaskCommand = z.infer<typeof executeTaskSchema>;
export type CancelTaskCommand = z.infer<typeof cancelTaskSchema>;
export type Command = z.infer<typeof commandSchema>;

/** A task status update on `tasks`. */
export const taskUpdateSchema = z.object({
  task_id: idString,
  status: z.enum(TASK_STATUSES),
  progress: z.number().min(0).max(100),
  agent_id: idString.nullable().optional(),
  command: z.string().max(128).optional(),
  updated_at: z.string().max(64).optional(),
  error: z.string().max(2000).optional(),
  params: taskParamsSchema.optional(),
});
export type TaskUpdate = z.infer<typeof taskUpdateSchema>;

/** A task as served by `GET /api/tasks`. */
export interface Task {
  readonly task_id: string;
  readonly status: TaskStatus;
  readonly progress: number;
  readonly agent_id: string | null;
  readonly command: string;
  readonly params?: Record<string, unknown>;
  readonly created_at: string;
  readonly updated_at: string;
  readonly error?: string;
}

/** An agent as served by `GET /api/agents`. */
export interface AgentInfo {
  readonly agent_id: string;
  readonly online: boolean;
  readonly last_seen: string;
  /** Newest value of every numeric telemetry field. */
  readonly latest: Readonly<Record<string, number>>;
}

/** A claim of an unaddressed task on `tasks.claims`. */
export const taskClaimSchema = z.object({ task_id: idString, agent_id: idString });
export type TaskClaim = z.infer<typeof taskClaimSchema>;
