/**
 * Runs one task of a simulated agent: `running` updates with rising progress, then `succeeded`,
 * or — for a few percent — `failed` with an error text. `cancel()` stops it with `cancelled`.
 */
import { TaskStatus, type TaskUpdate } from '@nexus-realtime/client/protocol';
import { between, type Random } from './random.js';

export interface TaskRunnerOptions {
  readonly taskId: string;
  readonly agentId: string;
  readonly random: Random;
  /** Total run time range. */
  readonly durationMs: readonly [number, number];
  readonly failureRate: number;
  readonly now: () => number;
  readonly publish: (update: TaskUpdate) => void;
  readonly onDone: () => void;
}

const STEPS = 10;
const FAILURES = [
  'exit code 137: out of memory',
  'dependency fetch timed out after 30 s',
  'checksum mismatch in downloaded artifact',
  'worker lost heartbeat',
  'permission denied writing /var/lib/agent/cache',
];

export class TaskRunner {
  #progress = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #done = false;
  readonly #stepMs: number;
  readonly #failAtProgress: number | undefined;

  constructor(private readonly options: TaskRunnerOptions) {
    this.#stepMs = between(options.random, options.durationMs[0], options.durationMs[1]) / STEPS;
    this.#failAtProgress =
      options.random() < options.failureRate ? Math.floor(between(options.random, 10, 90)) : undefined;
  }

  start(): void {
    this.#publish(TaskStatus.Running);
    this.#schedule();
  }

  cancel(): void {
    if (this.#done) return;
    this.#finish(TaskStatus.Cancelled);
  }

  /** Stops without publishing (the agent is shutting down). */
  stop(): void {
    clearTimeout(this.#timer);
    this.#done = true;
  }

  #schedule(): void {
    this.#timer = setTimeout(() => this.#step(), this.#stepMs);
  }

  #step(): void {
    if (this.#done) return;
    const increment = between(this.options.random, 100 / STEPS / 2, (100 / STEPS) * 1.5);
    this.#progress = Math.min(100, Math.round(this.#progress + increment));
    if (this.#failAtProgress !== undefined && this.#progress >= this.#failAtProgress) {
      const error = FAILURES[Math.floor(this.options.random() * FAILURES.length)]!;
      return this.#finish(TaskStatus.Failed, error);
    }
    if (this.#progress >= 100) return this.#finish(TaskStatus.Succeeded);
    this.#publish(TaskStatus.Running);
    this.#schedule();
  }

  #finish(status: TaskStatus, error?: string): void {
    clearTimeout(this.#timer);
    this.#done = true;
    this.#publish(status, error);
    this.options.onDone();
  }

  #publish(status: TaskStatus, error?: string): void {
    this.options.publish({
      task_id: this.options.taskId,
      status,
      progress: this.#progress,
      agent_id: this.options.agentId,
      command: 'execute_task',
      updated_at: new Date(this.options.now()).toISOString(),
      ...(error === undefined ? {} : { error }),
    });
  }
}
