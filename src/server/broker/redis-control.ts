/**
 * The admin control plane over Redis: every process beats in a shared set of live processes
 * (a sorted set scored by the time of its last beat) and answers requests about its own state;
 * a process asking gathers the answers of the others for a bounded time. Requests go to one
 * pub/sub channel, replies to a channel per process. The connections are the broker's own
 * (RedisBroker creates this and hands it its two connections); nothing else talks to Redis here.
 */
import { randomUUID } from 'node:crypto';
import { PREFIX } from './redis-history.js';

const CONTROL_REQUESTS = `${PREFIX}ctl:req`;
const controlReplies = (processId: string) => `${PREFIX}ctl:reply:${processId}`;
const PROCESSES_KEY = `${PREFIX}processes`;
/** Beats a process may miss before it counts as gone. */
const MISSED_BEATS = 3;

/** Answers a control request for this process's own state. */
export type ControlHandler = (request: unknown) => unknown;

/** What every live process answered to a control request, and which live ones did not answer in time. */
export interface ControlAnswers {
  readonly answers: readonly { readonly processId: string; readonly answer: unknown }[];
  readonly missing: readonly string[];
}

interface ControlEnvelope {
  readonly id: string;
  readonly from: string;
  readonly body: unknown;
}

/** What is used of the broker's command connection. */
interface ControlCommands {
  multi(): ControlTransaction;
  zrangebyscore(key: string, min: string, max: string): Promise<string[]>;
  zrem(key: string, member: string): Promise<unknown>;
  publish(channel: string, message: string): Promise<unknown>;
}
interface ControlTransaction {
  zadd(key: string, score: string, member: string): ControlTransaction;
  zremrangebyscore(key: string, min: string, max: string): ControlTransaction;
  pexpire(key: string, milliseconds: number): ControlTransaction;
  zrange(key: string, start: string, stop: string): ControlTransaction;
  exec(): Promise<[error: Error | null, result: unknown][] | null>;
}
/** What is used of the broker's subscriber connection. */
interface ControlSubscriber {
  readonly status: string;
  subscribe(...channels: string[]): Promise<unknown>;
}

export interface ControlPlaneOptions {
  readonly processId: string;
  readonly commands: ControlCommands;
  readonly subscriber: ControlSubscriber;
  readonly now: () => number;
  /** Whether the command connection is up (no command is sent to a Redis known to be away). */
  readonly isUp: () => boolean;
  readonly onError: (error: Error) => void;
}

export class RedisControlPlane {
  #serving: { handler: ControlHandler; timer: NodeJS.Timeout; windowMs: number } | undefined;
  /** The other processes last seen live: named as not answering while Redis cannot be asked. */
  #lastLive: readonly string[] = [];
  /** Requests of this process waiting for replies, by request id. */
  readonly #waiting = new Map<string, (processId: string, answer: unknown) => void>();

  constructor(private readonly options: ControlPlaneOptions) {}

  /** The pub/sub channels to (re)subscribe while serving. */
  channels(): string[] {
    return this.#serving ? [CONTROL_REQUESTS, controlReplies(this.options.processId)] : [];
  }

  /**
   * Joins: beats every `beatMs` (one missing MISSED_BEATS × `beatMs` counts as gone) and answers
   * every other process's requests with `handler` (its own state only).
   */
  serve(handler: ControlHandler, beatMs: number): void {
    if (this.#serving) return;
    const { commands, subscriber, processId, now, onError } = this.options;
    const beat = () =>
      void commands
        .multi()
        .zadd(PROCESSES_KEY, String(now()), processId)
        .zremrangebyscore(PROCESSES_KEY, '-inf', String(now() - MISSED_BEATS * beatMs))
        .pexpire(PROCESSES_KEY, 2 * MISSED_BEATS * beatMs)
        .zrange(PROCESSES_KEY, '0', '-1')
        .exec()
        .then((results) => {
          const live = results?.[3]?.[1];
          if (Array.isArray(live)) this.#lastLive = (live as string[]).filter((id) => id !== processId);
        })
        .catch(onError);
    const timer = setInterval(beat, beatMs);
    timer.unref();
    this.#serving = { handler, timer, windowMs: MISSED_BEATS * beatMs };
    if (this.options.isUp()) beat();
    if (subscriber.status === 'ready') void subscriber.subscribe(...this.channels()).catch(onError);
  }

  /** The other processes that beat within the window. */
  async liveProcesses(): Promise<string[]> {
    const windowMs = this.#serving?.windowMs ?? MISSED_BEATS * 1000;
    const ids = await this.options.commands.zrangebyscore(PROCESSES_KEY, String(this.options.now() - windowMs), '+inf');
    this.#lastLive = ids.filter((id) => id !== this.options.processId);
    return [...this.#lastLive];
  }

  /**
   * Sends `request` to every other live process and gathers their answers for at most
   * `timeoutMs`; the live processes that did not answer by then are named in `missing`. While
   * Redis cannot be asked, nobody answers and the processes last seen live are named: an admin
   * still sees this process's own state, and knows what is missing.
   */
  async request(request: unknown, timeoutMs: number): Promise<ControlAnswers> {
    const unreachable = { answers: [], missing: [...this.#lastLive] };
    if (!this.options.isUp()) return unreachable;
    let live: string[];
    try {
      live = await this.liveProcesses();
    } catch (error) {
      this.options.onError(error as Error);
      return unreachable;
    }
    if (live.length === 0) return { answers: [], missing: [] };
    const id = randomUUID();
    const answers: { processId: string; answer: unknown }[] = [];
    const pending = new Set(live);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.#waiting.set(id, (processId, answer) => {
        answers.push({ processId, answer });
        pending.delete(processId);
        if (pending.size === 0) {
          clearTimeout(timer);
          resolve();
        }
      });
      const envelope: ControlEnvelope = { id, from: this.options.processId, body: request };
      this.options.commands.publish(CONTROL_REQUESTS, JSON.stringify(envelope)).catch((e: Error) => {
        this.options.onError(e);
        clearTimeout(timer);
        resolve();
      });
    });
    this.#waiting.delete(id);
    return { answers, missing: [...pending] };
  }

  /** A message on one of `channels()`: a request to answer, or a reply to a request of ours. */
  receive(redisChannel: string, text: string): void {
    let envelope: ControlEnvelope;
    try {
      envelope = JSON.parse(text) as ControlEnvelope;
    } catch (error) {
      this.options.onError(error as Error);
      return;
    }
    const { processId, commands, onError } = this.options;
    if (redisChannel === CONTROL_REQUESTS) {
      const serving = this.#serving;
      if (!serving || envelope.from === processId) return;
      void Promise.resolve()
        .then(() => serving.handler(envelope.body))
        .then((answer) => {
          const reply: ControlEnvelope = { id: envelope.id, from: processId, body: answer };
          return commands.publish(controlReplies(envelope.from), JSON.stringify(reply));
        })
        .catch(onError);
      return;
    }
    if (redisChannel === controlReplies(processId)) this.#waiting.get(envelope.id)?.(envelope.from, envelope.body);
  }

  /** Leaves on purpose: nobody should wait for this process's answers any more. */
  async stop(): Promise<void> {
    if (!this.#serving) return;
    clearInterval(this.#serving.timer);
    this.#serving = undefined;
    if (this.options.isUp()) await this.options.commands.zrem(PROCESSES_KEY, this.options.processId).catch(() => 0);
  }
}
