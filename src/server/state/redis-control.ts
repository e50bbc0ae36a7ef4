/**
 * The admin control plane over Redis (the `ControlPlane` of shared-state.ts): every process beats in a shared set of live processes
 * (a sorted set scored by the time of its last beat) and answers requests about its own state;
 * a process asking gathers the answers of every live process.
 *
 * Control traffic never shares a connection with messages. Requests and reply notices travel on
 * a pub/sub connection of their own (`nexus-control`), so however large or slow an answer is,
 * Redis never cuts the subscriber that carries messages for its output buffer. And no answer
 * travels over pub/sub at all unless it is tiny: a larger one is written to a short-lived key
 * (`nexus:ctl:ans:<request>:<process>`) and only a notice naming it is published; the asker
 * reads it with GETDEL on its command connection, whose replies Redis does not cap. Pub/sub
 * messages therefore stay a few hundred bytes, whatever the answer's size, and the key expires
 * by itself if the asker has gone. The answers themselves are bounded by their handler (the
 * admin routes answer one page at a time), so a key stays well under a megabyte.
 *
 * A gather waits for every process that is live when it starts, until it has answered, has left
 * the live set (checked again every beat), or the deadline passes; those that did not answer are
 * named in `missing`.
 */
import { randomUUID } from 'node:crypto';
import {
  CONTROL_REQUESTS_CHANNEL as CONTROL_REQUESTS,
  PROCESSES_KEY,
  controlAnswerKey as answerKey,
  controlRepliesChannel as controlReplies,
} from './redis-keys.js';
import type { ControlAnswers, ControlHandler, ControlPlane } from './shared-state.js';

/** Beats a process may miss before it counts as gone. */
const MISSED_BEATS = 3;
/** Answers up to this size travel inside the pub/sub notice; larger ones through a key. */
const INLINE_ANSWER_BYTES = 8 * 1024;
/** How long an answer key outlives its request, should the asker never read it. */
const ANSWER_KEY_TTL_MS = 30_000;

interface ControlEnvelope {
  readonly id: string;
  readonly from: string;
  /** The request, or an answer small enough to travel inline. */
  readonly body?: unknown;
  /** The key holding a larger answer. */
  readonly key?: string;
}

/** What is used of the broker's command connection. */
interface ControlCommands {
  multi(): ControlTransaction;
  zrangebyscore(key: string, min: string, max: string): Promise<string[]>;
  zrem(key: string, member: string): Promise<unknown>;
  publish(channel: string, message: string): Promise<unknown>;
  getdel(key: string): Promise<string | null>;
}
interface ControlTransaction {
  zadd(key: string, score: string, member: string): ControlTransaction;
  zremrangebyscore(key: string, min: string, max: string): ControlTransaction;
  pexpire(key: string, milliseconds: number): ControlTransaction;
  zrange(key: string, start: string, stop: string): ControlTransaction;
  set(key: string, value: string, unit: 'PX', milliseconds: number): ControlTransaction;
  publish(channel: string, message: string): ControlTransaction;
  exec(): Promise<[error: Error | null, result: unknown][] | null>;
}
/** What is used of the control plane's own pub/sub connection. */
interface ControlSubscriber {
  readonly status: string;
  subscribe(...channels: string[]): Promise<unknown>;
  on(event: 'message', listener: (channel: string, text: string) => void): unknown;
}

export interface ControlPlaneOptions {
  readonly processId: string;
  readonly commands: ControlCommands;
  /** A pub/sub connection for control traffic only (never the one that carries messages). */
  readonly subscriber: ControlSubscriber;
  readonly now: () => number;
  /** Whether the command connection is up (no command is sent to a Redis known to be away). */
  readonly isUp: () => boolean;
  readonly onError: (error: Error) => void;
}

/** One gather in progress: who has yet to answer, and what came back. */
interface Gather {
  readonly pending: Set<string>;
  readonly answers: { processId: string; answer: unknown }[];
  readonly done: () => void;
}

export class RedisControlPlane implements ControlPlane {
  #serving: { handler: ControlHandler; timer: NodeJS.Timeout; beatMs: number } | undefined;
  /** The other processes last seen live: named as not answering while Redis cannot be asked. */
  #lastLive: readonly string[] = [];
  /** Requests of this process waiting for replies, by request id. */
  readonly #waiting = new Map<string, Gather>();

  constructor(private readonly options: ControlPlaneOptions) {
    options.subscriber.on('message', (channel, text) => this.#receive(channel, text));
  }

  /** The pub/sub channels to (re)subscribe while serving. */
  channels(): string[] {
    return this.#serving ? [CONTROL_REQUESTS, controlReplies(this.options.processId)] : [];
  }

  /** Subscribes the control channels again (the control connection came back). */
  resubscribe(): void {
    const channels = this.channels();
    if (channels.length > 0) void this.options.subscriber.subscribe(...channels).catch(this.options.onError);
  }

  /**
   * Joins: beats every `beatMs` (one missing MISSED_BEATS × `beatMs` counts as gone) and answers
   * every other process's requests with `handler` (its own state only).
   */
  serve(handler: ControlHandler, beatMs: number): void {
    if (this.#serving) return;
    const timer = setInterval(() => this.#beat(), beatMs);
    timer.unref();
    this.#serving = { handler, timer, beatMs };
    if (this.options.isUp()) this.#beat();
    if (this.options.subscriber.status === 'ready') this.resubscribe();
  }

  /** The other processes that beat within the window. */
  async liveProcesses(): Promise<string[]> {
    const windowMs = MISSED_BEATS * (this.#serving?.beatMs ?? 1000);
    const ids = await this.options.commands.zrangebyscore(PROCESSES_KEY, String(this.options.now() - windowMs), '+inf');
    this.#lastLive = ids.filter((id) => id !== this.options.processId);
    return [...this.#lastLive];
  }

  /**
   * Sends `request` to every other live process and gathers their answers, waiting for each
   * until it answers, leaves the live set, or `deadlineMs` passes; the ones that did not answer
   * are named in `missing`. While Redis cannot be asked, nobody answers and the processes last
   * seen live are named: an admin still sees this process's own state, and knows what is missing.
   */
  async request(request: unknown, deadlineMs: number): Promise<ControlAnswers> {
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
    const pending = new Set(live);
    const missing: string[] = [];
    const answers: { processId: string; answer: unknown }[] = [];
    await new Promise<void>((resolve) => {
      const deadline = setTimeout(finish, deadlineMs);
      const recheck = setInterval(() => void this.#dropGone(pending, missing, finish), this.#serving?.beatMs ?? 1000);
      function finish() {
        clearTimeout(deadline);
        clearInterval(recheck);
        resolve();
      }
      this.#waiting.set(id, { pending, answers, done: finish });
      const envelope: ControlEnvelope = { id, from: this.options.processId, body: request };
      this.options.commands.publish(CONTROL_REQUESTS, JSON.stringify(envelope)).catch((e: Error) => {
        this.options.onError(e);
        finish();
      });
    });
    this.#waiting.delete(id);
    return { answers, missing: [...missing, ...pending] };
  }

  /** Leaves on purpose: nobody should wait for this process's answers any more. */
  async stop(): Promise<void> {
    if (!this.#serving) return;
    clearInterval(this.#serving.timer);
    this.#serving = undefined;
    if (this.options.isUp()) await this.options.commands.zrem(PROCESSES_KEY, this.options.processId).catch(() => 0);
  }

  #beat(): void {
    const { commands, processId, now, onError } = this.options;
    const windowMs = MISSED_BEATS * (this.#serving?.beatMs ?? 1000);
    void commands
      .multi()
      .zadd(PROCESSES_KEY, String(now()), processId)
      .zremrangebyscore(PROCESSES_KEY, '-inf', String(now() - windowMs))
      .pexpire(PROCESSES_KEY, 2 * windowMs)
      .zrange(PROCESSES_KEY, '0', '-1')
      .exec()
      .then((results) => {
        const live = results?.[3]?.[1];
        if (Array.isArray(live)) this.#lastLive = (live as string[]).filter((id) => id !== processId);
      })
      .catch(onError);
  }

  /** Processes that left the live set while we waited for them: missing, no longer awaited. */
  async #dropGone(pending: Set<string>, missing: string[], finish: () => void): Promise<void> {
    if (pending.size === 0) return;
    const live = new Set(await this.liveProcesses().catch(() => [...pending]));
    for (const processId of pending) {
      if (live.has(processId)) continue;
      pending.delete(processId);
      missing.push(processId);
    }
    if (pending.size === 0) finish();
  }

  /** A message on one of `channels()`: a request to answer, or a reply to a request of ours. */
  #receive(redisChannel: string, text: string): void {
    let envelope: ControlEnvelope;
    try {
      envelope = JSON.parse(text) as ControlEnvelope;
    } catch (error) {
      this.options.onError(error as Error);
      return;
    }
    if (redisChannel === CONTROL_REQUESTS) return this.#answer(envelope);
    if (redisChannel === controlReplies(this.options.processId)) void this.#collect(envelope);
  }

  #answer(request: ControlEnvelope): void {
    const serving = this.#serving;
    const { processId, commands, onError } = this.options;
    if (!serving || request.from === processId) return;
    void Promise.resolve()
      .then(() => serving.handler(request.body))
      .then((answer) => {
        const text = JSON.stringify(answer ?? null);
        const replies = controlReplies(request.from);
        if (Buffer.byteLength(text) <= INLINE_ANSWER_BYTES) {
          const inline: ControlEnvelope = { id: request.id, from: processId, body: answer ?? null };
          return commands.publish(replies, JSON.stringify(inline));
        }
        const key = answerKey(request.id, processId);
        const notice: ControlEnvelope = { id: request.id, from: processId, key };
        return commands.multi().set(key, text, 'PX', ANSWER_KEY_TTL_MS).publish(replies, JSON.stringify(notice)).exec();
      })
      .catch(onError);
  }

  async #collect(reply: ControlEnvelope): Promise<void> {
    const gather = this.#waiting.get(reply.id);
    if (!gather || !gather.pending.has(reply.from)) return;
    let answer = reply.body;
    if (reply.key !== undefined) {
      try {
        const text = await this.options.commands.getdel(reply.key);
        if (text === null) return; // expired before we read it: the process counts as missing
        answer = JSON.parse(text) as unknown;
      } catch (error) {
        this.options.onError(error as Error);
        return;
      }
    }
    if (!gather.pending.delete(reply.from)) return;
    gather.answers.push({ processId: reply.from, answer });
    if (gather.pending.size === 0) gather.done();
  }
}
