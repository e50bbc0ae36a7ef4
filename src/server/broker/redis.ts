/**
 * Redis broker: many Nexus processes share one numbering, one history and one delivery path.
 *
 * Per channel: `nexus:seq:<channel>` (INCR counter) and `nexus:hist:<channel>` (a list capped at
 * `historySize`, oldest first); a message is delivered through the Redis pub/sub channel
 * `nexus:msg:<channel>`. One Lua script numbers, stores and publishes a message atomically, so
 * pub/sub order is seq order and history never has holes. `nexus:epoch` names the history's
 * generation: set once (SET NX) and re-created with a new value if Redis lost its data, so a
 * client holding a seq of the old numbering learns it has a gap. Why lists and not streams:
 * seqs are contiguous per channel, so "messages after seq s" is an index computation and one
 * LRANGE, without mapping seqs to stream ids. See docs/architecture.md.
 *
 * A process SUBSCRIBEs only to the channels its local clients (or its own modules) watch.
 *
 * Redis down: publishes are still delivered to this process's subscribers, numbered by a local
 * counter under a local epoch (`local:<uuid>`), kept in no history and seen by no other process;
 * replays answer `history_unavailable`. The client library then sees a changed epoch after Redis
 * returns and reports a gap: nothing is silently renumbered. ioredis reconnects by itself.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import {
  NO_PAGES,
  pagesOf,
  type Broker,
  type BrokerHealth,
  type BrokerListener,
  type BrokerMessage,
  type ChannelPosition,
  type PublishRequest,
  type Replay,
} from './broker.js';
import { MemoryBroker } from './memory.js';

export interface RedisBrokerOptions {
  readonly url: string;
  readonly historySize: number;
  readonly now?: () => number;
  readonly onError?: (error: Error) => void;
}

const PREFIX = 'nexus:';
const EPOCH_KEY = `${PREFIX}epoch`;
const seqKey = (channel: string) => `${PREFIX}seq:${channel}`;
const historyKey = (channel: string) => `${PREFIX}hist:${channel}`;
const messageChannel = (channel: string) => `${PREFIX}msg:${channel}`;
const MESSAGE_PREFIX = `${PREFIX}msg:`;

// KEYS: seq, history, epoch. ARGV: message JSON without epoch/seq (ends before the closing
// brace), history size, pub/sub channel, a fresh epoch in case Redis has none.
const PUBLISH_SCRIPT = `
local epoch = redis.call('GET', KEYS[3])
if not epoch then
  epoch = ARGV[4]
  redis.call('SET', KEYS[3], epoch)
end
local seq = redis.call('INCR', KEYS[1])
local message = ARGV[1] .. ',"epoch":"' .. epoch .. '","seq":' .. seq .. '}'
local size = tonumber(ARGV[2])
if size > 0 then
  redis.call('RPUSH', KEYS[2], message)
  redis.call('LTRIM', KEYS[2], -size, -1)
end
redis.call('PUBLISH', ARGV[3], message)
return {seq, epoch}
`;

// KEYS: seq, history, epoch. ARGV: since. Returns {seq, epoch, oldestSeq, messages...}.
const REPLAY_SCRIPT = `
local seq = tonumber(redis.call('GET', KEYS[1]) or '0')
local epoch = redis.call('GET', KEYS[3]) or ''
local length = redis.call('LLEN', KEYS[2])
local oldest = seq - length + 1
local since = tonumber(ARGV[1])
if since >= seq or since + 1 < oldest then
  return {seq, epoch, oldest}
end
local items = redis.call('LRANGE', KEYS[2], since + 1 - oldest, -1)
local out = {seq, epoch, oldest}
for i = 1, #items do out[#out + 1] = items[i] end
return out
`;

// KEYS: tasks hash, created index. ARGV: id, JSON, created ms, capacity. Keeps the newest tasks.
const PUT_TASK_SCRIPT = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], 'NX', ARGV[3], ARGV[1])
local extra = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
if extra > 0 then
  local old = redis.call('ZPOPMIN', KEYS[2], extra)
  for i = 1, #old, 2 do redis.call('HDEL', KEYS[1], old[i]) end
end
return 1
`;
const TASKS_KEY = `${PREFIX}tasks`;
const TASKS_BY_CREATED_KEY = `${PREFIX}tasks:created`;

/** A task as stored in Redis: an id, its JSON and its creation time. */
export interface StoredTask {
  readonly task_id: string;
  readonly created_at: string;
}

export class RedisBroker implements Broker {
  readonly kind = 'redis' as const;
  readonly processId = randomUUID();
  readonly #commands: Redis;
  readonly #subscriber: Redis;
  readonly #listeners = new Set<BrokerListener>();
  readonly #watched = new Map<string, number>();
  readonly #readyListeners = new Set<() => void>();
  readonly #now: () => number;
  /** Local delivery and numbering while Redis is unreachable. */
  readonly #fallback: MemoryBroker;

  constructor(private readonly options: RedisBrokerOptions) {
    this.#now = options.now ?? Date.now;
    const common = {
      // Fail fast while disconnected (the fallback takes over) and keep reconnecting.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (times: number) => Math.min(50 * 2 ** times, 2000),
      lazyConnect: true,
    };
    this.#commands = new Redis(options.url, { ...common, connectionName: 'nexus-commands' });
    // The subscriber restores exactly the watched set itself on every (re)connect: channels
    // watched or dropped while Redis was away must not be lost or leak.
    this.#subscriber = new Redis(options.url, {
      ...common,
      autoResubscribe: false,
      connectionName: 'nexus-subscriber',
    });
    this.#fallback = new MemoryBroker({ historySize: 0, now: this.#now, epoch: `local:${randomUUID()}` });
    this.#fallback.onMessage((message) => this.#emit(message));
    for (const connection of [this.#commands, this.#subscriber]) {
      connection.on('error', (error: Error) => options.onError?.(error));
    }
    this.#subscriber.on('message', (channel: string, text: string) => this.#onRedisMessage(channel, text));
    this.#subscriber.on('ready', () => void this.#resubscribe());
    // Redis may come back empty (no persistence): make sure the epoch exists again at once.
    this.#commands.on('ready', () => void this.#ensureEpoch().catch(() => undefined));
    this.#commands.on('ready', () => {
      for (const listener of this.#readyListeners) listener();
    });
  }

  /** Called whenever the command connection becomes ready (first connect and reconnects). */
  onReady(listener: () => void): () => void {
    this.#readyListeners.add(listener);
    return () => this.#readyListeners.delete(listener);
  }

  async #resubscribe(): Promise<void> {
    const channels = [...this.#watched.keys()].map(messageChannel);
    if (channels.length === 0) return;
    await this.#subscriber.subscribe(...channels).catch((e: Error) => this.options.onError?.(e));
  }

  async #ensureEpoch(): Promise<string> {
    await this.#commands.set(EPOCH_KEY, randomUUID(), 'NX');
    return (await this.#commands.get(EPOCH_KEY)) ?? '';
  }

  /** Connects both connections; rejects when Redis cannot be reached at start. */
  async start(): Promise<void> {
    await Promise.all([this.#commands.connect(), this.#subscriber.connect()]);
    await this.#ensureEpoch();
  }

  get #up(): boolean {
    return this.#commands.status === 'ready';
  }

  async publish(request: PublishRequest): Promise<BrokerMessage> {
    if (!this.#up) return this.#fallback.publish(request);
    const timestamp = new Date(this.#now()).toISOString();
    const body = JSON.stringify({
      channel: request.channel,
      kind: request.kind,
      from: request.from,
      data: request.data,
      timestamp,
      origin: this.processId,
    });
    try {
      const [seq, epoch] = (await this.#commands.eval(
        PUBLISH_SCRIPT,
        3,
        seqKey(request.channel),
        historyKey(request.channel),
        EPOCH_KEY,
        body.slice(0, -1),
        String(this.options.historySize),
        messageChannel(request.channel),
        randomUUID(),
      )) as [number, string];
      return { ...request, timestamp, seq, epoch, origin: this.processId };
    } catch (error) {
      this.options.onError?.(error as Error);
      return this.#fallback.publish(request);
    }
  }

  onMessage(listener: BrokerListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  watch(channel: string): void {
    const count = this.#watched.get(channel) ?? 0;
    this.#watched.set(channel, count + 1);
    // While disconnected, nothing is sent: the `ready` handler subscribes the whole watched set.
    if (count === 0 && this.#subscriber.status === 'ready')
      void this.#subscriber.subscribe(messageChannel(channel)).catch((e: Error) => this.options.onError?.(e));
  }

  unwatch(channel: string): void {
    const count = this.#watched.get(channel) ?? 0;
    if (count <= 1) {
      this.#watched.delete(channel);
      if (count === 1 && this.#subscriber.status === 'ready')
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
      const [seq, epoch] = await Promise.all([this.#commands.get(seqKey(channel)), this.#commands.get(EPOCH_KEY)]);
      return { seq: Number(seq ?? 0), epoch: epoch ?? (await this.#ensureEpoch()) };
    } catch {
      return this.#fallback.position(channel);
    }
  }

  async replay(channel: string, since: number, epoch: string | undefined): Promise<Replay> {
    if (!this.#up) throw new Error('Redis is unreachable');
    const reply = (await this.#commands.eval(
      REPLAY_SCRIPT,
      3,
      seqKey(channel),
      historyKey(channel),
      EPOCH_KEY,
      String(since),
    )) as [number, string, number, ...string[]];
    const [seq, storedEpoch, oldest, ...items] = reply;
    const currentEpoch = storedEpoch || (await this.#ensureEpoch());
    const base = { seq, epoch: currentEpoch };
    const sameEpoch = epoch === undefined || epoch === currentEpoch;
    if (!sameEpoch || since > seq || since + 1 < oldest) return { ...base, recovered: false, pages: NO_PAGES };
    return {
      ...base,
      recovered: true,
      pages: pagesOf(
        items.map((text) => JSON.parse(text) as BrokerMessage),
        100,
      ),
    };
  }

  /** Stores a task's latest state (CONTRACT §9: task state is kept in Redis when configured). */
  async putTask(task: StoredTask, capacity: number): Promise<void> {
    const createdMs = Date.parse(task.created_at) || this.#now();
    await this.#commands.eval(
      PUT_TASK_SCRIPT,
      2,
      TASKS_KEY,
      TASKS_BY_CREATED_KEY,
      task.task_id,
      JSON.stringify(task),
      String(createdMs),
      String(capacity),
    );
  }

  /** The newest `limit` stored tasks, oldest first. */
  async loadTasks<T extends StoredTask>(limit: number): Promise<T[]> {
    const ids = await this.#commands.zrevrange(TASKS_BY_CREATED_KEY, 0, limit - 1);
    if (ids.length === 0) return [];
    const texts = await this.#commands.hmget(TASKS_KEY, ...ids);
    return texts.flatMap((text) => (text ? [JSON.parse(text) as T] : [])).reverse();
  }

  health(): BrokerHealth {
    return this.#up ? { healthy: true, details: { redis: 'up' } } : { healthy: false, details: { redis: 'down' } };
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    await Promise.allSettled([this.#commands.quit(), this.#subscriber.quit()]);
    this.#commands.disconnect();
    this.#subscriber.disconnect();
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
    this.#emit(message);
  }

  #emit(message: BrokerMessage): void {
    for (const listener of this.#listeners) listener(message);
  }
}
