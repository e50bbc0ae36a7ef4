/**
 * In-memory broker: one process. Per channel a strictly increasing `seq` and the channel's recent
 * messages, bounded by count, age and the bytes of all channels together (see history-store.ts).
 *
 * Epochs: the process epoch is a random id per start, so a client holding a seq from an earlier
 * run learns it has a gap instead of being replayed the wrong messages. Within a run, a channel
 * with no watcher and no history left is forgotten; when it is used again its seq restarts at 1,
 * so that new generation gets its own epoch `<process epoch>.<n>`. The first generation of a
 * channel keeps the bare process epoch for as long as nothing has ever been forgotten, so in a
 * run that never forgets anything every channel answers `broker.epoch`. A watched channel is
 * never forgotten, so its epoch does not change under its subscribers.
 *
 * Expiry costs little and is bounded per turn: each publish first drops a few messages past their
 * age, a periodic unref'd timer drops more (a bounded number per tick), and reads treat anything
 * past its age as gone even before it is dropped.
 */
import { randomUUID } from 'node:crypto';
import { Defaults } from '@nexus-realtime/client/protocol';
import {
  HistoryTrimmedError,
  NO_PAGES,
  type Broker,
  type BrokerListener,
  type BrokerMessage,
  type ChannelHistory,
  type ChannelPosition,
  type PublishRequest,
  type Replay,
} from './broker.js';
import { encodeDelivery } from './delivery-frame.js';
import { RawJsonMessage } from './raw-json-message.js';
import { HistoryStore, type ChannelState, type HistoryStats } from './history-store.js';
import { StoredMessage } from './stored-message.js';

export interface MemoryBrokerOptions {
  readonly historySize: number;
  /** Seconds a message stays in history. */
  readonly historyTtlSeconds?: number;
  /** Bytes of history kept for all channels together. */
  readonly historyMaxBytes?: number;
  readonly now?: () => number;
  /** The process epoch (random by default). */
  readonly epoch?: string;
  /** Period of the expiry sweep; 0 turns the timer off (publishes still expire lazily). */
  readonly sweepIntervalMs?: number;
  /** Largest replay page, in messages. */
  readonly replayPageSize?: number;
  /** A replay page ends once it holds this many bytes (at least one message per page). */
  readonly replayPageBytes?: number;
}

export const DEFAULT_SWEEP_INTERVAL_MS = 1000;
export const DEFAULT_REPLAY_PAGE_SIZE = 128;
export const DEFAULT_REPLAY_PAGE_BYTES = 1024 * 1024;
/** Messages past their age dropped before each publish. */
const PUBLISH_EXPIRY_BUDGET = 32;
/** Messages past their age dropped per timer tick. */
const SWEEP_EXPIRY_BUDGET = 10_000;

export interface ChannelStats {
  readonly seq: number;
  readonly epoch: string;
  readonly historyMessages: number;
  readonly historyBytes: number;
}

export class MemoryBroker implements Broker {
  readonly kind = 'memory' as const;
  readonly processId = randomUUID();
  /** The process epoch: every channel's epoch is this one or derived from it. */
  readonly epoch: string;
  readonly #listeners = new Set<BrokerListener>();
  readonly #store: HistoryStore;
  readonly #now: () => number;
  readonly #pageSize: number;
  readonly #pageBytes: number;
  readonly #sweep: NodeJS.Timeout | undefined;

  constructor(options: MemoryBrokerOptions) {
    this.#now = options.now ?? Date.now;
    this.epoch = options.epoch ?? randomUUID();
    this.#pageSize = Math.max(1, options.replayPageSize ?? DEFAULT_REPLAY_PAGE_SIZE);
    this.#pageBytes = options.replayPageBytes ?? DEFAULT_REPLAY_PAGE_BYTES;
    this.#store = new HistoryStore(
      {
        historySize: options.historySize,
        ttlMs: (options.historyTtlSeconds ?? Defaults.historyTtlSeconds) * 1000,
        maxBytes: options.historyMaxBytes ?? Defaults.historyMaxBytes,
      },
      this.epoch,
    );
    const sweepIntervalMs = options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
    if (sweepIntervalMs > 0) {
      this.#sweep = setInterval(() => this.#store.expire(this.#now(), SWEEP_EXPIRY_BUDGET), sweepIntervalMs);
      this.#sweep.unref();
    }
  }

  /** Synchronous here; a payload that does not encode or a listener that throws still rejects. */
  publish(request: PublishRequest): Promise<BrokerMessage> {
    return new Promise((resolve) => resolve(this.#publishNow(request)));
  }

  #publishNow(request: PublishRequest): BrokerMessage {
    const nowMs = this.#now();
    this.#store.expire(nowMs, PUBLISH_EXPIRY_BUDGET);
    const state = this.#store.open(request.channel);
    const { kind, from, dataJson } = request;
    const [timestamp, seq, epoch] = [new Date(nowMs).toISOString(), state.seq + 1, state.epoch];
    const fields = { channel: state.name, kind, from, timestamp, seq, epoch };
    // Encoded once here: history keeps these bytes and the hub sends them to every subscriber.
    const frame = encodeDelivery(
      dataJson === undefined ? { ...fields, data: request.data } : { ...fields, data: null, dataJson },
    );
    const stored = new StoredMessage(state.name, kind, from, timestamp, seq, epoch, frame);
    this.#store.append(state, stored, stored.bytes, nowMs);
    // Listeners (the hub, domain modules) get the payload already parsed, for this turn only, or
    // parsed on first read when it came as text.
    const message: BrokerMessage =
      dataJson === undefined
        ? { ...fields, data: request.data, frame }
        : new RawJsonMessage({ ...fields, frame }, dataJson);
    for (const listener of this.#listeners) listener(message);
    return message;
  }

  onMessage(listener: BrokerListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  watch(channel: string): void {
    this.#store.watch(channel);
  }

  /** Delivery here is synchronous: a watched channel is listened to at once. */
  listening(_channel: string): Promise<void> {
    return Promise.resolve();
  }

  unwatch(channel: string): void {
    this.#store.unwatch(channel);
  }

  position(channel: string): Promise<ChannelPosition> {
    return Promise.resolve(this.#position(this.#store.get(channel)));
  }

  replay(channel: string, since: number, epoch: string | undefined): Promise<Replay> {
    const nowMs = this.#now();
    const state = this.#store.get(channel);
    const oldestLive = state ? this.#store.oldestLiveSeq(state, nowMs) : 1;
    const base = { ...this.#position(state), oldestSeq: oldestLive };
    if ((epoch !== undefined && epoch !== base.epoch) || since > base.seq || since + 1 < oldestLive)
      return Promise.resolve({ ...base, recovered: false, pages: NO_PAGES });
    if (!state || since === base.seq) return Promise.resolve({ ...base, recovered: true, pages: NO_PAGES });
    return Promise.resolve({ ...base, recovered: true, pages: this.#pages(state, since + 1, base.seq) });
  }

  health() {
    return { healthy: true, details: {} };
  }

  /** What history holds right now, all channels together. */
  get historyStats(): HistoryStats {
    return this.#store.stats;
  }

  /** One channel's numbering and kept history; undefined for a channel that costs nothing. */
  channelStats(channel: string): ChannelStats | undefined {
    const state = this.#store.get(channel);
    return (
      state && {
        seq: state.seq,
        epoch: state.epoch,
        historyMessages: state.entries.length,
        historyBytes: state.bytes,
      }
    );
  }

  channelHistory(channel: string): Promise<ChannelHistory> {
    const stats = this.channelStats(channel);
    return Promise.resolve({ messages: stats?.historyMessages ?? 0, bytes: stats?.historyBytes ?? 0 });
  }

  close(): Promise<void> {
    clearInterval(this.#sweep);
    this.#listeners.clear();
    return Promise.resolve();
  }

  #position(state: ChannelState | undefined): ChannelPosition {
    // An unknown channel answers the epoch it would get if created now: a generation that did
    // not exist when this answer was given, so resuming from it can never skip a message.
    return state ? { seq: state.seq, epoch: state.epoch } : { seq: 0, epoch: this.#store.nextEpoch() };
  }

  /**
   * Pages over the kept messages `from..to`, each read when the consumer asks for it. A page that
   * is no longer kept by then (trimmed, aged out, or the channel forgotten) ends the iteration
   * with `HistoryTrimmedError`.
   */
  #pages(state: ChannelState, from: number, to: number): AsyncIterable<readonly BrokerMessage[]> {
    const store = this.#store;
    const now = this.#now;
    const pageSize = this.#pageSize;
    const pageBytes = this.#pageBytes;
    return {
      // eslint-disable-next-line @typescript-eslint/require-await -- an AsyncIterable over pages held in memory: nothing to await
      async *[Symbol.asyncIterator]() {
        let next = from;
        while (next <= to) {
          if (store.get(state.name) !== state || next < store.oldestLiveSeq(state, now()))
            throw new HistoryTrimmedError(state.name, next);
          const page: BrokerMessage[] = [];
          let bytes = 0;
          while (next <= to && page.length < pageSize && bytes < pageBytes) {
            const entry = state.entry(next++)!;
            page.push(entry.message.view());
            bytes += entry.bytes;
          }
          yield page;
        }
      },
    };
  }
}
