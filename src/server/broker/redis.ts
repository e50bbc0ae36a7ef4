/**
 * Redis broker: many Nexus processes share one numbering, one history and one delivery path.
 *
 * One Lua script numbers, stores and publishes a message atomically (redis-scripts.ts, called
 * from redis-history.ts), so pub/sub order is seq order and history never has holes. History is
 * bounded per channel (count, TTL) and deployment-wide (bytes); a read of a channel nobody here
 * watches writes nothing. Epochs are per channel generation, `<nexus:epoch>.<n>`: a channel Redis
 * no longer knows starts again at seq 1 under a new epoch, so a client holding a seq of the old
 * generation learns it has a gap. Replays are read lazily, one small page per round trip. Key
 * layout and reasons: docs/architecture.md.
 *
 * Four connections (`openConnections`): commands; a bulk lane that carries only large publishes
 * (a Redis connection answers in order, so a small publish would otherwise wait behind megabytes
 * of other users' messages); a subscriber that carries messages only, SUBSCRIBEd to the channels
 * this process watches; and one for the admin control plane (state/redis-control.ts), so
 * nothing an admin asks can get the message subscriber cut. When the
 * subscriber is lost anyway, health says so until it is subscribed again, and the watched
 * channels get what they missed from history (redis-resume.ts), or a gap.
 *
 * Redis down, or refusing writes (out of memory, read-only replica): never a silent split.
 * `health()` turns unhealthy (`redis: "down"` / `"refusing writes"`). A publish on a channel this
 * process watches is delivered to this process only, under a local epoch (`local:<uuid>`), kept
 * in no history; one nobody here watches rejects with `BrokerUnavailableError`. Replays while
 * Redis is down answer `history_unavailable`. The refusal clears with the next write Redis
 * accepts (a publish, or the probe of redis-upkeep.ts); ioredis reconnects by itself.
 *
 * The other things every process shares (tasks, one-winner claims, agent presence, the admin
 * control plane) are not the broker's: they live in state/, which borrows the command and the
 * control connection (`stateLink()`).
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
  type ChannelHistory,
  type PublishRequest,
  type Replay,
} from './broker.js';
import { DEFAULT_REPLAY_PAGE_SIZE, MemoryBroker } from './memory.js';
import {
  appendMessage,
  defineHistoryScripts,
  historyPages,
  openChannel,
  type ChannelInfo,
  type HistoryCommands,
} from './redis-history.js';
import { historyKey, type RedisStateLink } from '../state/index.js';
import { BulkWindow } from './bulk-window.js';
import { OwnDeliveries } from './own-deliveries.js';
import { RawJsonMessage, encodeStoredJson } from './raw-json-message.js';
import { openConnections } from './redis-connections.js';
import type { BrokerGap } from './redis-resume.js';
import { RedisSubscriber } from './redis-subscriber.js';
import { RedisUpkeep, defaultUpkeepIntervalMs } from './redis-upkeep.js';

export type { BrokerGap } from './redis-resume.js';

export interface RedisBrokerOptions {
  readonly url: string;
  readonly historySize: number;
  /** Seconds a message stays in history; also how long an idle channel's keys live. */
  readonly historyTtlSeconds?: number;
  /**
   * Bytes of history kept in Redis, all channels of the deployment together (oldest leave
   * first); also bounds what the local fallback keeps in memory.
   */
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

/**
 * A replay page from Redis ends at this many bytes (at least one message): each page is one
 * script call, and Redis serves nobody else while it runs, so pages stay small (a 300 MB replay
 * is about 1,200 short calls, never one long one).
 */
export const REDIS_REPLAY_PAGE_BYTES = 256 * 1024;

/** Longest a publish waits for its own delivery (the subscriber may be reconnecting). */
export const OWN_DELIVERY_WAIT_MS = 500;

/**
 * A publish whose stored form is at least this large goes over the bulk connection. Order is
 * unaffected: Redis numbers each message atomically whichever connection brings it, and a
 * connection's publishes are sent one after the other.
 */
export const BULK_PUBLISH_BYTES = 64 * 1024;
/**
 * Large publishes sent to Redis and not yet answered, at most (see bulk-window.ts). One: Redis
 * takes 10–20 ms to store and publish a 1 MB message, so every one queued ahead of a small command
 * is that much more wait for it, while the round trip a second one would hide is well under a
 * millisecond (RedisBytes bench: bystander p50 10 → 4.5 ms, p99 59–153 → 64–71 ms; the paced
 * publishers took as long as before).
 */
const BULK_PUBLISHES_IN_FLIGHT = 1;

/**
 * Errors by which Redis says it is up but will not take writes: out of memory, read-only
 * replica, failed snapshots, too few replicas, still loading its data, replica cut off.
 */
const REFUSED_WRITE = /\b(OOM|READONLY|MISCONF|NOREPLICAS|LOADING|MASTERDOWN)\b/;

export class RedisBroker implements Broker {
  readonly kind = 'redis' as const;
  readonly processId = randomUUID();
  readonly #commands: Redis & HistoryCommands;
  /** Large publishes only (see BULK_PUBLISH_BYTES). */
  readonly #bulk: Redis & HistoryCommands;
  /** …a few at a time. */
  readonly #bulkWindow = new BulkWindow(BULK_PUBLISHES_IN_FLIGHT);
  readonly #subscriberConnection: Redis;
  /** The watched channels, on a connection that carries messages only. */
  readonly #subscriber: RedisSubscriber;
  readonly #controlSubscriber: Redis;
  readonly #gapListeners = new Set<(gap: BrokerGap) => void>();
  readonly #listeners = new Set<BrokerListener>();
  readonly #readyListeners = new Set<() => void>();
  readonly #now: () => number;
  readonly #ttlMs: number;
  readonly #historyMaxBytes: number;
  readonly #upkeep: RedisUpkeep;
  /** Local delivery and numbering while Redis is unreachable or refuses writes. */
  readonly #fallback: MemoryBroker;
  /** Why Redis refuses writes (undefined while it takes them). */
  #refusal: string | undefined;
  readonly #own = new OwnDeliveries(OWN_DELIVERY_WAIT_MS);

  constructor(private readonly options: RedisBrokerOptions) {
    this.#now = options.now ?? Date.now;
    this.#ttlMs = (options.historyTtlSeconds ?? Defaults.historyTtlSeconds) * 1000;
    this.#historyMaxBytes = options.historyMaxBytes ?? Defaults.historyMaxBytes;
    const connections = openConnections(options.url);
    defineHistoryScripts(connections.commands);
    defineHistoryScripts(connections.bulk);
    this.#commands = connections.commands as Redis & HistoryCommands;
    this.#bulk = connections.bulk as Redis & HistoryCommands;
    this.#subscriberConnection = connections.subscriber;
    this.#controlSubscriber = connections.control;
    this.#fallback = new MemoryBroker({
      historySize: 0,
      historyTtlSeconds: this.#ttlMs / 1000,
      ...(options.historyMaxBytes === undefined ? {} : { historyMaxBytes: options.historyMaxBytes }),
      now: this.#now,
      epoch: `local:${randomUUID()}`,
      sweepIntervalMs: 0,
    });
    this.#fallback.onMessage((message) => this.#emit(message));
    for (const connection of Object.values(connections)) {
      connection.on('error', (error: Error) => options.onError?.(error));
    }
    this.#subscriber = new RedisSubscriber(connections.subscriber, {
      commands: this.#commands,
      isCommandsUp: () => this.#up,
      timing: () => this.#timing(),
      pageLimits: () => this.#pageLimits(),
      deliver: (message) => this.#deliver(message),
      onGap: (gap) => {
        for (const listener of this.#gapListeners) listener(gap);
      },
      onError: (error) => options.onError?.(error),
    });
    this.#commands.on('ready', () => {
      void this.#upkeep.tick();
      for (const listener of this.#readyListeners) listener();
    });
    this.#upkeep = new RedisUpkeep(this.#commands, {
      processId: this.processId,
      ttlMs: this.#ttlMs,
      intervalMs: options.maintenanceIntervalMs ?? defaultUpkeepIntervalMs(this.#ttlMs),
      now: this.#now,
      watched: this.#subscriber.watched,
      isUp: () => this.#up,
      onProbe: (error) => (error ? this.#noteError(error) : this.#writesAccepted()),
      onError: (error) => options.onError?.(error),
    });
  }

  /**
   * What the shared state (state/redis-state.ts) borrows: the command connection, the control
   * connection, and a way to report its writes so health follows what Redis accepts.
   */
  stateLink(): RedisStateLink {
    return {
      processId: this.processId,
      commands: this.#commands,
      control: this.#controlSubscriber,
      now: this.#now,
      isUp: () => this.#up,
      onReady: (listener) => this.onReady(listener),
      wrote: (error) => (error ? this.#noteError(error) : this.#writesAccepted()),
      onError: (error) => this.options.onError?.(error),
    };
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
    const connections = [this.#commands, this.#bulk, this.#subscriberConnection, this.#controlSubscriber];
    await Promise.all(connections.map((c) => c.connect()));
  }

  get #up(): boolean {
    return this.#commands.status === 'ready';
  }

  async publish(request: PublishRequest): Promise<BrokerMessage> {
    if (!this.#up) return this.#publishLocally(request, 'Redis is unreachable');
    const nowMs = this.#now();
    const timestamp = new Date(nowMs).toISOString();
    const body = encodeStoredJson(request, timestamp, this.processId);
    try {
      const timing = { ttlMs: this.#ttlMs, nowMs };
      const bounds = { historySize: this.options.historySize, maxBytes: this.#historyMaxBytes };
      const bulk = body.length >= BULK_PUBLISH_BYTES && this.#bulk.status === 'ready';
      const append = () => appendMessage(bulk ? this.#bulk : this.#commands, request.channel, body, bounds, timing);
      const { seq, epoch } = await (bulk ? this.#bulkWindow.run(append) : append());
      this.#writesAccepted();
      if (this.#subscriber.watched.has(request.channel) && this.options.awaitOwnDelivery?.(request.channel))
        await this.#own.wait(request.channel, epoch, seq);
      const fields = { channel: request.channel, kind: request.kind, from: request.from, timestamp, seq, epoch };
      if (request.dataJson !== undefined)
        return new RawJsonMessage({ ...fields, origin: this.processId }, request.dataJson);
      return { ...fields, data: request.data, origin: this.processId };
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
    this.#subscriber.watch(channel);
    this.#fallback.watch(channel);
  }

  unwatch(channel: string): void {
    if (!this.#subscriber.watched.has(channel)) return;
    this.#subscriber.unwatch(channel);
    this.#fallback.unwatch(channel);
  }

  listening(channel: string): Promise<void> {
    return this.#subscriber.listening(channel);
  }

  /** Channels this process listens to in Redis (for tests and metrics). */
  get watchedChannels(): string[] {
    return [...this.#subscriber.watched.keys()];
  }

  async position(channel: string): Promise<ChannelPosition> {
    if (!this.#up) return this.#fallback.position(channel);
    try {
      // Only live interest creates a generation: a read of an unknown channel writes nothing.
      const create = this.#subscriber.watched.has(channel);
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
      const create = this.#subscriber.watched.has(channel);
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

  /** A channel's kept history in Redis: messages and bytes (as Redis counts the key's memory). */
  async channelHistory(channel: string): Promise<ChannelHistory> {
    const key = historyKey(channel);
    const [messages, bytes] = await Promise.all([
      this.#commands.llen(key),
      this.#commands.call('MEMORY', 'USAGE', key) as Promise<number | null>,
    ]);
    return { messages, bytes: messages === 0 ? 0 : (bytes ?? 0) };
  }

  health(): BrokerHealth {
    if (!this.#up || !this.#subscriber.subscribed) return { healthy: false, details: { redis: 'down' } };
    if (this.#refusal !== undefined) return { healthy: false, details: { redis: 'refusing writes' } };
    return { healthy: true, details: { redis: 'up' } };
  }

  async close(): Promise<void> {
    this.#upkeep.stop();
    this.#listeners.clear();
    await this.#fallback.close();
    const connections = [this.#commands, this.#bulk, this.#subscriberConnection, this.#controlSubscriber];
    await Promise.allSettled(connections.map((connection) => connection.quit()));
    for (const connection of connections) connection.disconnect();
  }

  /** Delivers to this process only, under the local epoch, when someone here listens. */
  #publishLocally(request: PublishRequest, reason: string): Promise<BrokerMessage> {
    if (!this.#subscriber.watched.has(request.channel))
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
      pageBytes: this.options.replayPageBytes ?? REDIS_REPLAY_PAGE_BYTES,
      ttlMs: this.#ttlMs,
      now: this.#now,
    };
  }

  #noteError(error: Error): void {
    this.options.onError?.(error);
    if (REFUSED_WRITE.test(error.message)) this.#refusal = 'Redis refuses writes';
  }

  #writesAccepted(): void {
    this.#refusal = undefined;
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
