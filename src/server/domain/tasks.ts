/**
 * Task registry: the latest state of every task, built from the `commands` and `tasks` channels.
 * An `execute_task` command creates a `queued` task at once (and the server publishes that
 * update on `tasks`); updates move it on. Invalid updates — unknown status, progress out of
 * range, leaving a final state, progress going backwards — are logged and never stored.
 * The newest `capacity` tasks are kept.
 *
 * Each task also keeps its timeline (task-timeline.ts): who created it and when, every status
 * change with who caused it (the operator who created or cancelled it, the agent that reported,
 * `nexus` for a timeout), and when its command first reached a connection of its agent
 * (`delivered_at`, learned from the server's notes on `tasks.delivered`).
 *
 * Tasks are kept in the form kept-task.ts gives them (`params` as JSON text).
 */
import {
  Channel,
  CommandName,
  FINAL_TASK_STATUSES,
  TaskStatus,
  commandSchema,
  mergeTaskUpdate,
  sameTaskState,
  taskTransitionProblem,
  taskClaimSchema,
  taskDeliverySchema,
  taskUpdateSchema,
  type Command,
  type Task,
} from '@nexus-realtime/client/protocol';
import { SERVER_USER_ID } from '../auth.js';
import { type BrokerMessage, Deque } from '../broker/index.js';
import type { Logger } from '../logger.js';
import { SlicedQueue } from './sliced-queue.js';
import { expandTask, keepTask, type KeptTask, type TimedTask } from './kept-task.js';
import { appendStep, taskStep } from './task-timeline.js';

export { expandTask, keepTask, taskDetailJson, taskJson, type KeptTask, type TimedTask } from './kept-task.js';

export interface TaskQuery {
  readonly status?: string;
  readonly agentId?: string;
  readonly limit?: number;
  /** Only tasks created before the one at this position (see `ListedTask.position`). */
  readonly before?: number;
}

/** A task in a list, with its place in creation order: the cursor for "older than this one". */
export interface ListedTask {
  readonly task: KeptTask;
  readonly position: number;
}

export interface TaskRegistryOptions {
  readonly logger: Logger;
  readonly now: () => number;
  /** Publishes a server-side update on `tasks` (a `broadcast`). */
  readonly publishUpdate: (task: KeptTask) => void;
  readonly capacity?: number;
  /**
   * True when this process accepted the message from its client. Every process keeps the
   * state; only the accepting one announces the follow-up update, so it is published once.
   */
  readonly isLocal?: (message: BrokerMessage) => boolean;
  /** Stores a task's new state where every process can read it (Redis); called once per change, by the accepting process. */
  readonly persist?: (task: KeptTask) => void;
  /**
   * A queued task nobody started, or a running task whose agent has been gone, fails after this
   * long (0 or absent: never). Checked by `start()`'s sweep.
   */
  readonly claimTimeoutMs?: number;
  /** True while the agent has a connection on some process (or was heard from recently). */
  readonly agentPresent?: (agentId: string) => boolean;
  /**
   * Resolves true when this process is the one to declare a task's timeout. With many processes
   * (Redis) exactly one of them gets true; alone, always true.
   */
  readonly decide?: (taskId: string) => Promise<boolean>;
}

/** Why the server failed a task itself. */
export const TaskTimeoutReason = {
  Unclaimed: 'no agent took the task',
  AgentLost: 'agent lost',
} as const;

export const DEFAULT_TASK_CAPACITY = 10_000;
/** Task timeouts declared together, at most. */
const EXPIRIES_PER_SLICE = 32;

/** One pending timeout declaration (a task id cannot hold a newline: ids are short labels). */
const expiryKey = (taskId: string, reason: string) => `${taskId}\n${reason}`;
const fromExpiryKey = (key: string): [string, string] => {
  const at = key.lastIndexOf('\n');
  return [key.slice(0, at), key.slice(at + 1)];
};
/** When a step happened and who caused it. */
interface Authored {
  readonly at: string;
  readonly by: string;
}

const SILENT = { info: () => {}, warn: () => {} } as unknown as Pick<Logger, 'info' | 'warn'>;

export class TaskRegistry {
  // Insertion order = creation order: the first key is the oldest task.
  readonly #tasks = new Map<string, KeptTask>();
  /** Task ids in creation order, for listing newest first without copying the registry. */
  readonly #order = new Deque<string>();
  /** Tasks created so far: the one at index i of `#order` was the `(#created - #order.length + i)`th. */
  #created = 0;
  readonly #capacity: number;
  /** Unaddressed tasks: the agent whose claim came first (claims are seen in seq order). */
  readonly #claims = new Map<string, string>();
  /** Running tasks: when their agent was last known to be present. */
  readonly #presentAtMs = new Map<string, number>();
  /** Running tasks an operator asked to cancel: who asked (their agent's `cancelled` is theirs). */
  readonly #cancelledBy = new Map<string, string>();
  /**
   * Timeouts to declare, a slice at a time: 10,000 tasks timing out together would otherwise make
   * 10,000 decisions and updates at once (with Redis, every other client's command behind them).
   */
  readonly #expiries = new SlicedQueue<string>((key) => this.#expire(key), EXPIRIES_PER_SLICE);
  #sweepTimer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly options: TaskRegistryOptions) {
    this.#capacity = options.capacity ?? DEFAULT_TASK_CAPACITY;
  }

  /** Feeds a broker message; only `commands`, `tasks` and `tasks.claims` matter. */
  observe(message: BrokerMessage): void {
    const local = this.options.isLocal?.(message) ?? true;
    this.#route(message, local);
  }

  #route(message: BrokerMessage, local: boolean): void {
    if (message.channel === Channel.Commands) this.#onCommand(message, local);
    else if (message.channel === Channel.Tasks) this.#onUpdate(message, local);
    else if (message.channel === Channel.TaskClaims) this.#onClaim(message.data);
    else if (message.channel === Channel.TaskDeliveries) this.#onDelivered(message, local);
  }

  /**
   * True when a command for `taskId` reaching a connection of `agentId` would be the task's first
   * delivery: the task is known, not delivered yet, and addressed to that agent (or to any).
   */
  awaitsDelivery(taskId: string, agentId: string): boolean {
    const task = this.#tasks.get(taskId);
    return task !== undefined && task.delivered_at === null && (task.agent_id === null || task.agent_id === agentId);
  }

  /** Starts the timeout sweep (when a claim timeout is set). */
  start(): void {
    const timeoutMs = this.options.claimTimeoutMs ?? 0;
    if (timeoutMs <= 0 || this.#sweepTimer) return;
    this.#sweepTimer = setInterval(() => this.sweep(), Math.max(50, Math.min(1000, timeoutMs / 4)));
    this.#sweepTimer.unref();
  }

  close(): void {
    clearInterval(this.#sweepTimer);
    this.#sweepTimer = undefined;
  }

  /**
   * True when `agentId` may report on `taskId`: the task exists and is addressed to that agent,
   * or is unaddressed and that agent's claim came first.
   */
  mayUpdate(agentId: string, taskId: string): boolean {
    const task = this.#tasks.get(taskId);
    if (!task) return false;
    if (task.agent_id !== null) return task.agent_id === agentId;
    return this.#claims.get(taskId) === agentId;
  }

  /** Fails the tasks nobody took, and the running tasks whose agent has been gone too long. */
  sweep(): void {
    const timeoutMs = this.options.claimTimeoutMs ?? 0;
    if (timeoutMs <= 0) return;
    const nowMs = this.options.now();
    for (const task of this.#tasks.values()) {
      if (task.status === TaskStatus.Queued) {
        const createdMs = Date.parse(task.created_at);
        if (nowMs - (Number.isFinite(createdMs) ? createdMs : nowMs) >= timeoutMs)
          this.#expiries.add(expiryKey(task.task_id, TaskTimeoutReason.Unclaimed));
      } else if (task.status === TaskStatus.Running) {
        // An unaddressed task is run by the agent whose claim came first.
        const agentId = task.agent_id ?? this.#claims.get(task.task_id) ?? null;
        if (agentId !== null && (this.options.agentPresent?.(agentId) ?? true)) {
          this.#presentAtMs.set(task.task_id, nowMs);
          continue;
        }
        const presentAtMs = this.#presentAtMs.get(task.task_id) ?? nowMs;
        this.#presentAtMs.set(task.task_id, presentAtMs);
        if (nowMs - presentAtMs >= timeoutMs) this.#expiries.add(expiryKey(task.task_id, TaskTimeoutReason.AgentLost));
      }
    }
  }

  async #expire(key: string): Promise<void> {
    const [taskId, reason] = fromExpiryKey(key);
    try {
      const mine = this.options.decide ? await this.options.decide(taskId) : true;
      const task = this.#tasks.get(taskId);
      if (!mine || !task || FINAL_TASK_STATUSES.has(task.status)) return;
      const at = new Date(this.options.now()).toISOString();
      const failed: KeptTask = {
        ...task,
        status: TaskStatus.Failed,
        error: reason,
        updated_at: at,
        history: appendStep(task.history, taskStep(TaskStatus.Failed, task.progress, at, SERVER_USER_ID, reason)),
      };
      this.#log.info({ taskId, reason }, 'task failed by timeout');
      this.#store(failed);
      this.#announce(failed);
    } catch (error) {
      this.options.logger.warn({ err: (error as Error).message, taskId }, 'task timeout not declared');
    }
  }

  #onClaim(data: unknown): void {
    const parsed = taskClaimSchema.safeParse(data);
    if (!parsed.success) return;
    const { task_id: taskId, agent_id: agentId } = parsed.data;
    const task = this.#tasks.get(taskId);
    if (!task || task.agent_id !== null || task.status !== TaskStatus.Queued || this.#claims.has(taskId)) return;
    this.#claims.set(taskId, agentId);
  }

  /** Loads stored tasks (oldest first), e.g. from Redis when the process starts. */
  restore(tasks: readonly TimedTask[]): void {
    for (const task of tasks) if (!this.#tasks.has(task.task_id)) this.#store(keepTask(task));
  }

  /**
   * Learns from shared history (a process joining, or Redis back): same rules, but nothing is
   * announced and nothing is logged — old updates that no longer apply are expected there.
   */
  learn(message: BrokerMessage): void {
    this.#quiet = true;
    try {
      this.#route(message, false);
    } finally {
      this.#quiet = false;
    }
  }

  #quiet = false;

  get #log(): Pick<Logger, 'info' | 'warn'> {
    return this.#quiet ? SILENT : this.options.logger;
  }

  get(taskId: string): KeptTask | undefined {
    return this.#tasks.get(taskId);
  }

  /**
   * Tasks newest first, filtered; walks back from the newest (or from `before`) and stops at
   * `limit`, so a page costs the same with 10 or 10,000 tasks kept (unless a filter skips many).
   */
  *iterate(query: TaskQuery = {}): Generator<ListedTask> {
    let left = query.limit ?? Infinity;
    const first = this.#created - this.#order.length;
    const from = Math.min(this.#order.length, (query.before ?? Infinity) - first) - 1;
    for (let i = from; i >= 0 && left > 0; i--) {
      const task = this.#tasks.get(this.#order.at(i)!);
      if (!task) continue;
      if (query.status !== undefined && task.status !== query.status) continue;
      if (query.agentId !== undefined && task.agent_id !== query.agentId) continue;
      left--;
      yield { task, position: first + i };
    }
  }

  /** Tasks newest first, filtered, params parsed (for tests and small lists). */
  list(query: TaskQuery = {}): Task[] {
    return Array.from(this.iterate(query), ({ task }) => expandTask(task));
  }

  get size(): number {
    return this.#tasks.size;
  }

  #onCommand(message: BrokerMessage, announce: boolean): void {
    const parsed = commandSchema.safeParse(message.data);
    if (!parsed.success) {
      this.#log.info(
        { reason: parsed.error.issues[0]?.message },
        'command ignored by task registry: not a task command',
      );
      return;
    }
    const command: Command = parsed.data;
    const { timestamp: at, from } = message;
    if (command.command === CommandName.ExecuteTask)
      this.#create(command.task_id, command.agent_id, command.params, { at, by: from }, announce);
    else this.#cancel(command.task_id, { at, by: from }, announce);
  }

  /** `at` is the command's broker timestamp (the same on every process), `by` its sender. */
  #create(
    taskId: string,
    agentId: string | undefined,
    params: Record<string, unknown> | undefined,
    { at, by }: Authored,
    announce: boolean,
  ): void {
    if (this.#tasks.has(taskId)) {
      this.#log.warn({ taskId }, 'execute_task for an existing task id ignored');
      return;
    }
    const task: KeptTask = {
      task_id: taskId,
      status: TaskStatus.Queued,
      progress: 0,
      agent_id: agentId ?? null,
      command: CommandName.ExecuteTask,
      ...(params ? { paramsJson: JSON.stringify(params) } : {}),
      created_at: at,
      updated_at: at,
      created_by: by,
      delivered_at: null,
      history: [taskStep(TaskStatus.Queued, 0, at, by)],
    };
    this.#store(task);
    if (announce) this.#announce(task);
  }

  /**
   * A task nobody runs yet is cancelled by the registry; a running one by its agent, and its
   * `cancelled` step is then attributed to the operator who asked.
   */
  #cancel(taskId: string, { at, by }: Authored, announce: boolean): void {
    const task = this.#tasks.get(taskId);
    if (task?.status === TaskStatus.Running) this.#cancelledBy.set(taskId, by);
    if (!task || task.status !== TaskStatus.Queued) return;
    const cancelled: KeptTask = {
      ...task,
      status: TaskStatus.Cancelled,
      updated_at: new Date(this.options.now()).toISOString(),
      history: appendStep(task.history, taskStep(TaskStatus.Cancelled, task.progress, at, by)),
    };
    this.#store(cancelled);
    if (announce) this.#announce(cancelled);
  }

  #announce(task: KeptTask): void {
    this.options.publishUpdate(task);
    this.options.persist?.(task);
  }

  #onUpdate(message: BrokerMessage, local: boolean): void {
    const { from } = message;
    const parsed = taskUpdateSchema.safeParse(message.data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      this.#log.warn({ from, reason: `${issue?.path.join('.')}: ${issue?.message}` }, 'task update rejected');
      return;
    }
    const update = parsed.data;
    const current = this.#tasks.get(update.task_id);
    // Tasks come only from execute_task commands: an update never creates one.
    if (!current) {
      this.#log.warn({ from, taskId: update.task_id }, 'task update for an unknown task ignored');
      return;
    }
    const problem = taskTransitionProblem(current, update);
    if (problem) {
      this.#log.warn({ from, taskId: update.task_id, problem }, 'task update rejected');
      return;
    }
    if (current && sameTaskState(current, update)) return;
    // An unaddressed task's first update names its runner: the agent whose claim came first.
    const claimer = current.agent_id === null ? this.#claims.get(update.task_id) : undefined;
    const named = update.agent_id == null && claimer !== undefined ? { ...update, agent_id: claimer } : update;
    // Merged without the params (they never change once set), which then keep their text, and
    // without the timeline, which gains this step.
    const { paramsJson, created_by, delivered_at, history, ...rest } = current;
    const merged = mergeTaskUpdate(rest, named, new Date(this.options.now()).toISOString());
    // The server's own updates carry the time it decided; anyone else's step is timed by the broker.
    const at = from === SERVER_USER_ID ? merged.updated_at : message.timestamp;
    const by = merged.status === TaskStatus.Cancelled ? (this.#cancelledBy.get(merged.task_id) ?? from) : from;
    const step = taskStep(merged.status, merged.progress, at, by, merged.error);
    const { params: _params, ...fields } = merged;
    const task: KeptTask = {
      ...fields,
      ...(paramsJson === undefined ? {} : { paramsJson }),
      created_by,
      delivered_at,
      history: appendStep(history, step),
    };
    this.#store(task);
    if (local) this.options.persist?.(task);
  }

  /** The server's note that the task's command reached its agent: the first one counts. */
  #onDelivered(message: BrokerMessage, local: boolean): void {
    if (message.from !== SERVER_USER_ID) return;
    const parsed = taskDeliverySchema.safeParse(message.data);
    if (!parsed.success) return;
    const { task_id: taskId, delivered_at: at } = parsed.data;
    const task = this.#tasks.get(taskId);
    if (!task || task.delivered_at !== null) return;
    const delivered: KeptTask = { ...task, delivered_at: at };
    this.#tasks.set(taskId, delivered);
    if (local) this.options.persist?.(delivered);
  }

  #store(task: KeptTask): void {
    const isNew = !this.#tasks.has(task.task_id);
    this.#tasks.set(task.task_id, task);
    if (isNew) {
      this.#order.push(task.task_id);
      this.#created++;
    }
    if (FINAL_TASK_STATUSES.has(task.status)) this.#forgetOpen(task.task_id);
    if (isNew && this.#tasks.size > this.#capacity) {
      const oldest = this.#order.shift();
      if (oldest !== undefined) {
        this.#tasks.delete(oldest);
        this.#forgetOpen(oldest);
      }
    }
  }

  #forgetOpen(taskId: string): void {
    this.#claims.delete(taskId);
    this.#presentAtMs.delete(taskId);
    this.#cancelledBy.delete(taskId);
  }
}
