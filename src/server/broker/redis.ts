/**
 * Redis broker: many Nexus processes share one numbering, one history and one delivery path.
 *
 * Per channel: `nexus:chan:<channel>` (hash: seq, epoch) and `nexus:hist:<channel>` (the last
 * `historySize` messages, oldest first, each prefixed with the time it was stored); a message is
 * delivered through the Redis pub/sub channel `nexus:msg:<channel>`. One Lua script numbers,
 * stores and publishes a message atomically, so pub/sub order is seq order and history never has
 * holes (redis-scripts.ts has the scripts and the key layout, redis-history.ts the calls). Why
 * lists and not streams: seqs are contiguous per channel, so "messages after seq s" is an index
 * computation and LRANGE, without mapping seqs to stream ids. See docs/architecture.md.
 *
 * Bounds: both keys of a channel expire `historyTtlSeconds` after its last publish, and items
 * older than that leave the list (on publish) and are never replayed, so Redis holds nothing
 * older than the TTL, whatever the number of channel names. A channel this process watches has
 * its hash's expiry refreshed in the background (redis-upkeep.ts): its numbering and epoch live
 * as long as someone listens, even when nobody publishes.
 *
 * Epochs are per channel generation, `<nexus:epoch>.<n>`: a channel Redis no longer knows
 * (expired, or Redis lost its data) starts again at seq 1 under a new epoch, so a client holding
 * a seq of the old generation learns it has a gap and is never replayed the wrong messages.
 *
 * Replays are read lazily, one page (a bounded number of messages and bytes) per round trip.
 *
 * A process SUBSCRIBEs only to the channels its local clients (or its own modules) watch.
 *
 * Beyond messages, the broker is the deployment's only shared state, so the few other things all
 * processes share live here too, each a thin method over the same two connections (only this
 * module creates them, and hands them to its helpers): task state (`putTask`/`loadTasks`),
 * one-winner decisions (`claimOnce`), agent presence (`announcePresence`) and the admin control
 * plane (`serveControl`/`requestOthers`, in redis-control.ts). Scripts and key layouts are in
 * redis-scripts.ts / redis-history.ts; the periodic probe and trims in redis-upkeep.ts.
 *
 * Redis down, or refusing writes (out of memory under `maxmemory`, read-only replica after a
 * failover): never a silent split. `health()` turns unhealthy (`redis: "down"` or
 * `redis: "refusing writes"`). A publish on a channel this process watches is delivered to this
 * process only, numbered by a local counter under a local epoch (`local:<uuid>`), kept in no
 * history and seen by no other process; the returned message carries that epoch. A publish on a
 * channel nobody here watches would reach no one: it rejects with `BrokerUnavailableError`.
 * Replays while Redis is down answer `history_unavailable`. The refusal is cleared by the next
 * write Redis accepts, a publish or the periodic probe (redis-upkeep.ts); ioredis reconnects by
 * itself.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { Defaults } from '@nexus-realtime/client/protocol';
import {
  BrokerUnavailableError,
  NO_PAGES,
  type Broker,
  type BrokerHealth,
  type BrokerListener,
  type BrokerMessage,
  type ChannelPosition,
  type PublishRequest,
  type Replay,
} from './broker.js';
import { DEFAULT_REPLAY_PAGE_BYTES, DEFAULT_REPLAY_PAGE_SIZE, MemoryBroker } from './memory.js';
import {
  PREFIX,
  appendMessage,
  historyKey,
  defineHistoryScripts,
  historyPages,
  messageChannel,
  openChannel,
  type ChannelInfo,
  type HistoryCommands,
} from './redis-history.js';
import { OwnDeliveries } from './own-deliveries.js';
import { RedisControlPlane, type ControlAnswers, type ControlHandler } from './redis-control.js';
import { RedisResume, type BrokerGap, type ResumePosition } from './redis-resume.js';
import { RedisUpkeep, defaultUpkeepIntervalMs } from './redis-upkeep.js';

export type { BrokerGap } from './redis-resume.js';

export interface RedisBrokerOptions {
  readonly url: string;
  readonly historySize: number;
  /** Seconds a message stays in history; also how long an idle channel's keys live. */
  readonly historyTtlSeconds?: number;
  /** Bytes of history kept in this process's memory (only the local fallback keeps any). */
  readonly historyMaxBytes?: number;
  readonly now?: () => number;
  readonly onError?: (error: Error) => void;
  /** Period of the write probe and of refreshing watched channels' expiry. */
  readonly maintenanceIntervalMs?: number;
  /** Largest replay page, in messages. */
  readonly replayPageSize?: number;
  /** A replay page ends once it holds this many bytes (at least one message per page). */
  readonly replayPageBytes?: number;
  /**
   * Publishes on these channels resolve only once this process has handed the message to its
   * own listeners (at most OWN_DELIVERY_WAIT_MS later): what it acknowledges, it already knows.
   */
  readonly awaitOwnDelivery?: (channel: string) => boolean;
}

/** Longest a publish waits for its own delivery (the subscriber may be reconnecting). */
export const OWN_DELIVERY_WAIT_MS = 500;

const MESSAGE_PREFIX = `${PREFIX}msg:`;
const TASKS_KEY = `${PREFIX}tasks`;
const TASKS_BY_CREATED_KEY = `${PREFIX}tasks:created`;

/**
 * Errors by which Redis says it is up but will not take writes: out of memory, read-only
 * replica, failed snapshots, too few replicas, still loading its data, replica cut off.
 */
const REFUSED_WRITE = /\b(OOM|READONLY|MISCONF|NOREPLICAS|LOADING|MASTERDOWN)\b/;

/** A task as stored in Redis: an id, its JSON and its creation time. */
export interface StoredTask {
  readonly task_id: string;
  readonly created_at: string;
}

export class RedisBroker implements Broker {
  readonly kind = 'redis' as const;
  readonly processId = randomUUID();
  readonly #commands: Redis & HistoryCommands;
  /** Carries messages only: control traffic has a connection of its own. */
  readonly #subscriber: Redis;
  readonly #controlSubscriber: Redis;
  /** True while the message subscriber is connected and subscribed to every watched channel. */
  #subscribed = false;
  readonly #resume: RedisResume;
  readonly #gapListeners = new Set<(gap: BrokerGap) => void>();
  readonly #listeners = new Set<BrokerListener>();
  readonly #watched = new Map<string, number>();
  readonly #readyListeners = new Set<() => void>();
  readonly #now: () => number;
  readonly #ttlMs: number;
  readonly #upkeep: RedisUpkeep;
  /** Local delivery and numbering while Redis is unreachable or refuses writes. */
  readonly #fallback: MemoryBroker;
  /** Why Redis refuses writes (undefined while it takes them). */
  #refusal: string | undefined;
  readonly #control: RedisControlPlane;
  readonly #own = new OwnDeliveries(OWN_DELIVERY_WAIT_MS);

  constructor(private readonly options: RedisBrokerOptions) {
    this.#now = options.now ?? Date.now;
    this.#ttlMs = (options.historyTtlSeconds ?? Defaults.historyTtlSeconds) * 1000;
    const common = {
      // Fail fast while disconnected (the fallback takes over) and keep reconnecting.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (times: number) => Math.min(50 * 2 ** times, 2000),
      lazyConnect: true,
    };
    const commands = new Redis(options.url, { ...common, connectionName: 'nexus-commands' });
    defineHistoryScripts(commands);
    this.#commands = commands as Redis & HistoryCommands;
    // The subscriber restores exactly the watched set itself on every (re)connect: channels
    // watched or dropped while Redis was away must not be lost or leak.
    this.#subscriber = new Redis(options.url, {
      ...common,
      autoResubscribe: false,
      connectionName: 'nexus-subscriber',
    });
    this.#controlSubscriber = new Redis(options.url, {
      ...common,
      autoResubscribe: false,
      connectionName: 'nexus-control',
    });
    this.#fallback = new MemoryBroker({
      historySize: 0,
      historyTtlSeconds: this.#ttlMs / 1000,
      ...(options.historyMaxBytes === undefined ? {} : { historyMaxBytes: options.historyMaxBytes }),
      now: this.#now,
      epoch: `local:${randomUUID()}`,
      sweepIntervalMs: 0,
    });
    this.#fallback.onMessage((message) => this.#emit(message));
    for (const connection of [this.#commands, this.#subscriber, this.#controlSubscriber]) {
      connection.on('error', (error: Error) => options.onError?.(error));
    }
    this.#resume = new RedisResume({
      positions: (channels) => this.#positions(channels),
      pages: (channel, epoch, from, to) => historyPages(this.#commands, channel, epoch, from, to, this.#pageLimits()),
      isWatched: (channel) => this.#watched.has(channel),
      emit: (message) => this.#deliver(message),
      onGap: (gap) => {
        for (const listener of this.#gapListeners) listener(gap);
      },
      onError: (error) => options.onError?.(error),
    });
    this.#subscriber.on('message', (channel: string, text: string) => this.#onRedisMessage(channel, text));
    this.#subscriber.on('ready', () => void this.#resubscribe());
    // Lost (output-buffer kill, CLIENT KILL, network, Redis restart): unhealthy until subscribed
    // again, and what was published meanwhile is handed on from history then (redis-resume.ts).
    this.#subscriber.on('close', () => {
      this.#subscribed = false;
      this.#resume.lost();
    });
    this.#controlSubscriber.on('ready', () => this.#control.resubscribe());
    this.#commands.on('ready', () => {
      void this.#upkeep.tick();
      for (const listener of this.#readyListeners) listener();
    });
    this.#upkeep = new RedisUpkeep(this.#commands, {
      processId: this.processId,
      ttlMs: this.#ttlMs,
      intervalMs: options.maintenanceIntervalMs ?? defaultUpkeepIntervalMs(this.#ttlMs),
      now: this.#now,
      watched: this.#watched,
      isUp: () => this.#up,
      onProbe: (error) => (error ? this.#noteError(error) : this.#writesAccepted()),
      onError: (error) => options.onError?.(error),
    });
    this.#control = new RedisControlPlane({
      processId: this.processId,
      commands: this.#commands,
      subscriber: this.#controlSubscriber,
      now: this.#now,
      isUp: () => this.#up,
      onError: (error) => options.onError?.(error),
    });
  }

  /** Called whenever the command connection becomes ready (first connect and reconnects). */
  onReady(listener: () => void): () => void {
    this.#readyListeners.add(listener);
    return () => this.#readyListeners.delete(listener);
  }

  /**
   * Called with every gap: messages a watched channel missed while the subscriber was cut off
   * that history no longer holds. Returns the function that removes the listener.
   */
  onGap(listener: (gap: BrokerGap) => void): () => void {
    this.#gapListeners.add(listener);
    return () => this.#gapListeners.delete(listener);
  }

  /** Connects every connection; rejects when Redis cannot be reached at start. */
  async start(): Promise<void> {
    await Promise.all([this.#commands.connect(), this.#subscriber.connect(), this.#controlSubscriber.connect()]);
  }

  get #up(): boolean {
    return this.#commands.status === 'ready';
  }

  async publish(request: PublishRequest): Promise<BrokerMessage> {
    if (!this.#up) return this.#publishLocally(request, 'Redis is unreachable');
    const nowMs = this.#now();
    const timestamp = new Date(nowMs).toISOString();
    const body = JSON.stringify({
      channel: request.channel,
      kind: request.kind,
      from: request.from,
      data: request.data,
      timestamp,
      origin: this.processId,
    });
    try {
      const timing = { ttlMs: this.#ttlMs, nowMs };
      const { seq, epoch } = await appendMessage(
        this.#commands,
        request.channel,
        body,
        this.options.historySize,
        timing,
      );
      this.#writesAccepted();
      if (this.#watched.has(request.channel) && this.options.awaitOwnDelivery?.(request.channel))
        await this.#own.wait(request.channel, epoch, seq);
      return { ...request, timestamp, seq, epoch, origin: this.processId };
    } catch (error) {
      this.#noteError(error as Error);
      return this.#publishLocally(request, this.#refusal ?? 'Redis did not take the message');
    }
  }

  onMessage(listener: BrokerListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  watch(channel: string): void {
    const count = this.#watched.get(channel) ?? 0;
    this.#watched.set(channel, count + 1);
    this.#fallback.watch(channel);
    if (count > 0) return;
    // While disconnected, nothing is sent: the `ready` handler subscribes the whole watched set.
    if (this.#subscriber.status === 'ready')
      void this.#subscriber.subscribe(messageChannel(channel)).catch((e: Error) => this.options.onError?.(e));
    // Where a resume would count from, should the subscriber be lost before a message comes.
    if (this.#up)
      openChannel(this.#commands, channel, { locateOldest: false, create: true }, this.#timing()).then(
        (info) => this.#watched.has(channel) && this.#resume.watched(channel, info),
        (e: Error) => this.options.onError?.(e),
      );
  }

  unwatch(channel: string): void {
    const count = this.#watched.get(channel) ?? 0;
    if (count === 0) return;
    this.#fallback.unwatch(channel);
    if (count === 1) {
      this.#watched.delete(channel);
      this.#resume.unwatched(channel);
      if (this.#subscriber.status === 'ready')
        void this.#subscriber.unsubscribe(messageChannel(channel)).catch((e: Error) => this.options.onError?.(e));
    } else {
      this.#watched.set(channel, count - 1);
    }
  }

  /** Channels this process listens to in Redis (for tests and metrics). */
  get watchedChannels(): string[] {
    return [...this.#watched.keys()];
  }

  async position(channel: string): Promise<ChannelPosition> {
    if (!this.#up) return this.#fallback.position(channel);
    try {
      // Only live interest creates a generation: a read of an unknown channel writes nothing.
      const create = this.#watched.has(channel);
      const { seq, epoch } = await openChannel(
        this.#commands,
        channel,
        { locateOldest: false, create },
        this.#timing(),
      );
      return { seq, epoch };
    } catch (error) {
      // E.g. a channel Redis does not know while it refuses writes: numbered locally meanwhile.
      this.#noteError(error as Error);
      return this.#fallback.position(channel);
    }
  }

  async replay(channel: string, since: number, epoch: string | undefined): Promise<Replay> {
    if (!this.#up) throw new Error('Redis is unreachable');
    let info: ChannelInfo;
    try {
      const create = this.#watched.has(channel);
      info = await openChannel(this.#commands, channel, { locateOldest: true, create }, this.#timing());
    } catch (error) {
      this.#noteError(error as Error);
      throw error;
    }
    const base = { seq: info.seq, epoch: info.epoch, oldestSeq: info.oldestSeq };
    if ((epoch !== undefined && epoch !== info.epoch) || since > info.seq || since + 1 < info.oldestSeq)
      return { ...base, recovered: false, pages: NO_PAGES };
    if (since === info.seq) return { ...base, recovered: true, pages: NO_PAGES };
    const pages = historyPages(this.#commands, channel, info.epoch, since + 1, info.seq, this.#pageLimits());
    return { ...base, recovered: true, pages };
  }

  /** Stores a task's latest state (task state is kept in Redis when configured). */
  async putTask(task: StoredTask, capacity: number): Promise<void> {
    const createdMs = Date.parse(task.created_at) || this.#now();
    try {
      await this.#commands.nexusPutTask(
        TASKS_KEY,
        TASKS_BY_CREATED_KEY,
        task.task_id,
        JSON.stringify(task),
        String(createdMs),
        String(capacity),
      );
      this.#writesAccepted();
    } catch (error) {
      this.#noteError(error as Error);
      throw error;
    }
  }

  /** The newest `limit` stored tasks, oldest first. */
  async loadTasks<T extends StoredTask>(limit: number): Promise<T[]> {
    const ids = await this.#commands.zrevrange(TASKS_BY_CREATED_KEY, 0, limit - 1);
    if (ids.length === 0) return [];
    const texts = await this.#commands.hmget(TASKS_KEY, ...ids);
    return texts.flatMap((text) => (text ? [JSON.parse(text) as T] : [])).reverse();
  }

  /**
   * True for exactly one caller per `name` across every process on this Redis (SET NX), for
   * `ttlMs`: e.g. the one process that declares a task's timeout.
   */
  async claimOnce(name: string, ttlMs = 60_000): Promise<boolean> {
    const answer = await this.#commands.set(`${PREFIX}once:${name}`, this.processId, 'PX', ttlMs, 'NX');
    return answer === 'OK';
  }

  /**
   * Announces the agents connected to this process and answers every agent announced by any
   * process within `windowMs` (a sorted set scored by announcement time; older entries removed).
   */
  async announcePresence(agentIds: readonly string[], windowMs: number): Promise<Set<string>> {
    const nowMs = this.#now();
    const key = `${PREFIX}agents:present`;
    const pipeline = this.#commands.multi();
    if (agentIds.length > 0) pipeline.zadd(key, ...agentIds.flatMap((id) => [String(nowMs), id]));
    pipeline.zremrangebyscore(key, '-inf', String(nowMs - windowMs));
    pipeline.zrange(key, '0', '-1');
    pipeline.pexpire(key, windowMs * 2);
    const results = (await pipeline.exec()) ?? [];
    const members = results[agentIds.length > 0 ? 2 : 1]?.[1];
    return new Set(Array.isArray(members) ? (members as string[]) : []);
  }

  /** Joins the admin control plane (redis-control.ts): beats, and answers others with `handler`. */
  serveControl(handler: ControlHandler, beatMs = 1000): void {
    this.#control.serve(handler, beatMs);
  }

  /** The other processes that beat within the window. */
  liveProcesses(): Promise<string[]> {
    return this.#control.liveProcesses();
  }

  /** Asks every other live process; see RedisControlPlane.request. */
  requestOthers(request: unknown, timeoutMs: number): Promise<ControlAnswers> {
    return this.#control.request(request, timeoutMs);
  }

  /** A channel's kept history in Redis: messages and bytes (as Redis counts the key's memory). */
  async historySize(channel: string): Promise<{ messages: number; bytes: number }> {
    const key = historyKey(channel);
    const [messages, bytes] = await Promise.all([
      this.#commands.llen(key),
      this.#commands.call('MEMORY', 'USAGE', key) as Promise<number | null>,
    ]);
    return { messages, bytes: messages === 0 ? 0 : (bytes ?? 0) };
  }

  health(): BrokerHealth {
    if (!this.#up || !this.#subscribed) return { healthy: false, details: { redis: 'down' } };
    if (this.#refusal !== undefined) return { healthy: false, details: { redis: 'refusing writes' } };
    return { healthy: true, details: { redis: 'up' } };
  }

  async close(): Promise<void> {
    this.#upkeep.stop();
    await this.#control.stop();
    this.#listeners.clear();
    await this.#fallback.close();
    const connections = [this.#commands, this.#subscriber, this.#controlSubscriber];
    await Promise.allSettled(connections.map((connection) => connection.quit()));
    for (const connection of connections) connection.disconnect();
  }

  /** Delivers to this process only, under the local epoch, when someone here listens. */
  #publishLocally(request: PublishRequest, reason: string): Promise<BrokerMessage> {
    if (!this.#watched.has(request.channel))
      return Promise.reject(
        new BrokerUnavailableError(`${reason}; nobody on this process listens to ${request.channel}`),
      );
    return this.#fallback.publish(request);
  }

  #timing() {
    return { ttlMs: this.#ttlMs, nowMs: this.#now() };
  }

  #pageLimits() {
    return {
      pageSize: Math.max(1, this.options.replayPageSize ?? DEFAULT_REPLAY_PAGE_SIZE),
      pageBytes: this.options.replayPageBytes ?? DEFAULT_REPLAY_PAGE_BYTES,
      ttlMs: this.#ttlMs,
      now: this.#now,
    };
  }

  /**
   * The subscriber is (again) connected: subscribes exactly the watched set, then hands on from
   * history what the watched channels missed while it was away (nothing on a first connect).
   */
  async #resubscribe(): Promise<void> {
    const channels = [...this.#watched.keys()];
    this.#resume.hold(channels);
    try {
      if (channels.length > 0) await this.#subscriber.subscribe(...channels.map(messageChannel));
    } catch (error) {
      // Lost again before it was subscribed: the next `ready` starts over.
      this.options.onError?.(error as Error);
      return;
    }
    this.#subscribed = true;
    await this.#resume.resume();
  }

  /** Positions of watched channels for a resume (nothing is created). */
  async #positions(channels: readonly string[]): Promise<ResumePosition[]> {
    const timing = this.#timing();
    const infos = await Promise.all(
      channels.map((channel) => openChannel(this.#commands, channel, { locateOldest: true, create: false }, timing)),
    );
    return infos.map((info) => ({
      epoch: info.exists ? info.epoch : undefined,
      seq: info.seq,
      oldestSeq: info.oldestSeq,
    }));
  }

  #noteError(error: Error): void {
    this.options.onError?.(error);
    if (REFUSED_WRITE.test(error.message)) this.#refusal = 'Redis refuses writes';
  }

  #writesAccepted(): void {
    this.#refusal = undefined;
  }

  #onRedisMessage(redisChannel: string, text: string): void {
    if (!redisChannel.startsWith(MESSAGE_PREFIX)) return;
    let message: BrokerMessage;
    try {
      message = JSON.parse(text) as BrokerMessage;
    } catch (error) {
      this.options.onError?.(error as Error);
      return;
    }
    this.#resume.live(message);
  }

  /** Hands a message from Redis (live, or resumed from history) to this process's listeners. */
  #deliver(message: BrokerMessage): void {
    this.#emit(message);
    if (message.origin === this.processId && this.options.awaitOwnDelivery?.(message.channel))
      this.#own.delivered(message.channel, message.epoch, message.seq);
  }

  #emit(message: BrokerMessage): void {
    for (const listener of this.#listeners) listener(message);
  }
}
