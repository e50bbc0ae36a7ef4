/**
 * One simulated agent: a real NexusWebSocket client with role `agent`. It publishes telemetry
 * every interval, listens on `commands`, runs `execute_task` commands addressed to it — or
 * unaddressed ones it wins the claim for — and honours `cancel_task`. Malformed or unknown
 * commands are ignored with a log line; nothing a command says can crash the agent.
 */
import { NexusWebSocket, type NexusWebSocketOptions, type TokenProvider } from '@nexus-realtime/client';
import { Channel, CommandName, commandSchema, taskClaimSchema, type Command } from '@nexus-realtime/client/protocol';
import { deriveSeed, seededRandom, type Random } from './random.js';
import { TaskRunner } from './task-runner.js';
import { TelemetryGenerator } from './telemetry.js';

export interface AgentLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface SimulatedAgentOptions {
  readonly agentId: string;
  readonly url: string;
  readonly token: TokenProvider;
  readonly seed: number;
  readonly intervalMs: number;
  readonly taskDurationMs?: readonly [number, number];
  readonly failureRate?: number;
  readonly logger?: AgentLogger;
  readonly clientOptions?: NexusWebSocketOptions;
  readonly now?: () => number;
  /** Metrics per sample (default 6; more adds made-up ones, see TelemetryGenerator). */
  readonly metrics?: number;
  /**
   * False: no timer of its own; whoever started the agent calls `tick()` once per interval (a
   * fleet of thousands shares one clock). Default true.
   */
  readonly ownTimer?: boolean;
}

const MAX_REMEMBERED_TASKS = 1000;
const CLAIM_JITTER_MS = 150;
const silentLogger: AgentLogger = { info: () => {}, warn: () => {} };

export class SimulatedAgent {
  readonly agentId: string;
  readonly client: NexusWebSocket;
  readonly #telemetry: TelemetryGenerator;
  readonly #random: Random;
  readonly #running = new Map<string, TaskRunner>();
  /** Task ids already decided (claimed, run, cancelled): never started twice. */
  readonly #seenTasks = new Set<string>();
  readonly #claimWinners = new Map<string, string>();
  readonly #cancelled = new Set<string>();
  readonly #logger: AgentLogger;
  readonly #now: () => number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #ticks = 0;
  #acked = 0;
  #refused = 0;

  constructor(private readonly options: SimulatedAgentOptions) {
    this.agentId = options.agentId;
    this.#telemetry = new TelemetryGenerator(deriveSeed(options.seed, 0), options.metrics);
    this.#random = seededRandom(deriveSeed(options.seed, 1));
    this.#logger = options.logger ?? silentLogger;
    this.#now = options.now ?? Date.now;
    this.client = new NexusWebSocket(options.url, options.token, options.clientOptions);
  }

  /** Tasks this agent is running now. */
  get runningTasks(): string[] {
    return [...this.#running.keys()];
  }

  /** Telemetry samples published so far. */
  get ticks(): number {
    return this.#ticks;
  }

  /** Telemetry samples the server acknowledged, and those it answered with an error or never answered. */
  get telemetryOutcomes(): { readonly acked: number; readonly refused: number } {
    return { acked: this.#acked, refused: this.#refused };
  }

  start(): void {
    this.client.on(Channel.Commands, (data) => this.#onCommand(data));
    this.client.on(Channel.TaskClaims, (data) => this.#onClaim(data));
    void this.client.subscribe(Channel.Commands);
    void this.client.subscribe(Channel.TaskClaims);
    this.client.connect();
    if (this.options.ownTimer !== false) this.#timer = setInterval(() => this.tick(), this.options.intervalMs);
  }

  stop(): void {
    clearInterval(this.#timer);
    for (const runner of this.#running.values()) runner.stop();
    this.#running.clear();
    this.client.disconnect();
  }

  /** Publishes one telemetry sample (skipped while not connected). */
  tick(): void {
    // Telemetry is perishable: skip ticks while disconnected instead of queueing stale samples.
    if (this.client.state !== 'open') return;
    this.#ticks++;
    void this.client
      .publish(Channel.Telemetry, { agent_id: this.agentId, ...this.#telemetry.next() })
      .then((result) => (result.ok ? this.#acked++ : this.#refused++));
  }

  #onCommand(data: unknown): void {
    const parsed = commandSchema.safeParse(data);
    if (!parsed.success) {
      this.#logger.info({ agentId: this.agentId, reason: parsed.error.issues[0]?.message }, 'command ignored');
      return;
    }
    const command: Command = parsed.data;
    if (command.command === CommandName.CancelTask) return this.#cancel(command.task_id);
    if (command.agent_id !== undefined && command.agent_id !== this.agentId) return;
    if (this.#seenTasks.has(command.task_id)) return;
    if (command.agent_id === this.agentId) return this.#run(command.task_id);
    this.#remember(command.task_id);
    // Busy agents claim later, and a little jitter spreads work over idle ones.
    const delayMs = this.#random() * CLAIM_JITTER_MS + this.#running.size * CLAIM_JITTER_MS;
    setTimeout(
      () => void this.client.publish(Channel.TaskClaims, { task_id: command.task_id, agent_id: this.agentId }),
      delayMs,
    );
  }

  /** Every agent sees the claims in the same (seq) order: the first claim wins. */
  #onClaim(data: unknown): void {
    const parsed = taskClaimSchema.safeParse(data);
    if (!parsed.success || this.#claimWinners.has(parsed.data.task_id)) return;
    this.#claimWinners.set(parsed.data.task_id, parsed.data.agent_id);
    trim(this.#claimWinners);
    if (parsed.data.agent_id === this.agentId && !this.#running.has(parsed.data.task_id))
      this.#run(parsed.data.task_id);
  }

  #run(taskId: string): void {
    this.#remember(taskId);
    if (this.#cancelled.has(taskId)) return;
    const runner = new TaskRunner({
      taskId,
      agentId: this.agentId,
      random: this.#random,
      durationMs: this.options.taskDurationMs ?? [3000, 12_000],
      failureRate: this.options.failureRate ?? 0.05,
      now: this.#now,
      publish: (update) => void this.client.publish(Channel.Tasks, update),
      onDone: () => this.#running.delete(taskId),
    });
    this.#running.set(taskId, runner);
    this.#logger.info({ agentId: this.agentId, taskId }, 'task started');
    runner.start();
  }

  #cancel(taskId: string): void {
    this.#remember(taskId);
    this.#cancelled.add(taskId);
    trim(this.#cancelled);
    this.#running.get(taskId)?.cancel();
  }

  #remember(taskId: string): void {
    this.#seenTasks.add(taskId);
    trim(this.#seenTasks);
  }
}

/** Keeps a Set or Map to its newest MAX_REMEMBERED_TASKS entries. */
function trim(collection: Set<string> | Map<string, string>): void {
  while (collection.size > MAX_REMEMBERED_TASKS) {
    const oldest = collection.keys().next().value;
    if (oldest === undefined) return;
    collection.delete(oldest);
  }
}
