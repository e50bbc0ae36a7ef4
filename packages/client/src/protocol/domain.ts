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
  /** The server's notes that a task's command reached a connection of its agent. */
  TaskDeliveries: 'tasks.delivered',
} as const;
export type Channel = (typeof Channel)[keyof typeof Channel];

/**
 * Channels only the server publishes on: a client's publish there (any role, WebSocket or REST)
 * is refused with `forbidden`, whatever the policy says, so their messages are always the server's.
 */
export const RESERVED_CHANNELS: ReadonlySet<string> = new Set([
  Channel.TelemetryFleet,
  Channel.Agents,
  Channel.Alerts,
  Channel.TaskDeliveries,
]);

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
  /** The userId whose `execute_task` created the task. */
  readonly created_by?: string;
  /** When the command first reached a connection of the task's agent; null until then. */
  readonly delivered_at?: string | null;
}

/** One step of a task's timeline. */
export interface TaskHistoryEntry {
  readonly status: TaskStatus;
  readonly progress?: number;
  /** ISO-8601 time of the step. */
  readonly at: string;
  /** Who caused it: the operator who created or cancelled the task, the agent that reported, or `nexus`. */
  readonly by: string;
  readonly error?: string;
}

/** One task with its timeline, as `GET /api/tasks/:task_id` serves it (oldest step first). */
export interface TaskDetail extends Task {
  readonly created_by: string;
  readonly delivered_at: string | null;
  readonly history: readonly TaskHistoryEntry[];
}

/** A note on `tasks.delivered` (from `nexus`): the task's command reached its agent at `delivered_at`. */
export const taskDeliverySchema = z.object({
  task_id: idString,
  agent_id: idString,
  delivered_at: z.string().max(64),
});
export type TaskDelivery = z.infer<typeof taskDeliverySchema>;

/** Where an agent stands, deployment-wide (see docs/protocol.md, "Agents"). */
export const AgentState = {
  /** A connection with the agent's identity, and telemetry recently (or just connected). */
  Online: 'online',
  /** Connected, but no telemetry for `NEXUS_AGENT_SILENT_S`. */
  Silent: 'silent',
  /** No connection with the agent's identity on any process. */
  Offline: 'offline',
} as const;
export type AgentState = (typeof AgentState)[keyof typeof AgentState];
export const AGENT_STATES = Object.values(AgentState) as [AgentState, ...AgentState[]];

/** A state change on the `agents` channel (a broadcast from `nexus`), published once per deployment. */
export interface AgentStateChange {
  readonly agent_id: string;
  readonly state: AgentState;
  /** The state the agent left (`offline` for an agent never seen before). */
  readonly previous: AgentState;
  /** ISO-8601 time the agent entered `state`. */
  readonly since: string;
}

/** An agent with its state, as this server lists it (`online` is `state === "online"`). */
export interface AgentListing extends AgentInfo {
  readonly state: AgentState;
  /** ISO-8601 time the agent entered `state`. */
  readonly since: string;
}

/** One agent with its recent state changes, as `GET /api/agents/:agent_id` serves it. */
export interface AgentDetail extends AgentListing {
  /** Its state changes over the last 24 hours, oldest first. */
  readonly states: readonly { readonly state: AgentState; readonly since: string }[];
  /** Its open connections across the deployment (role `admin` only). */
  readonly connections?: readonly AgentConnection[];
}

/** An open connection speaking for an agent. */
export interface AgentConnection {
  readonly connectionId: string;
  readonly process: string;
  readonly userId: string;
  readonly remoteAddress: string;
  readonly connectedAt: string;
}

/** Who is subscribed to a channel, as `GET /api/channels/:channel/presence` serves it. */
export interface PresenceEntry {
  readonly userId: string;
  readonly role: string;
  /** Open connections of that user subscribed to the channel, all processes together. */
  readonly connections: number;
  /** ISO-8601 time the user's first subscription to the channel started. */
  readonly since: string;
}

/** An agent as served by `GET /api/agents`. */
export interface AgentInfo {
  readonly agent_id: string;
  /** Always sent by this server (see `AgentListing`); absent from older servers. */
  readonly state?: AgentState;
  /** ISO-8601 time the agent entered `state`. */
  readonly since?: string;
  readonly online: boolean;
  readonly last_seen: string;
  /** Newest value of every numeric telemetry field. */
  readonly latest: Readonly<Record<string, number>>;
}

/** A claim of an unaddressed task on `tasks.claims`. */
export const taskClaimSchema = z.object({ task_id: idString, agent_id: idString });
export type TaskClaim = z.infer<typeof taskClaimSchema>;
