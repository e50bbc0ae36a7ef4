/**
 * The Redis broker's message subscription: the channels this process watches (counted, so each
 * `watch` is undone by one `unwatch`), SUBSCRIBEd on a connection that carries messages only.
 * On every (re)connect it subscribes exactly the watched set, and after a loss it resumes the
 * watched channels from history (redis-resume.ts) before their live messages go on. `subscribed`
 * is false from the moment the connection drops until the watched set is subscribed again.
 */
import { MESSAGE_CHANNEL_PREFIX, messageChannel } from '../state/index.js';
import type { BrokerMessage } from './broker.js';
import {
  historyPages,
  openChannel,
  type HistoryCommands,
  type HistoryTiming,
  type PageLimits,
} from './redis-history.js';
import { RedisResume, type BrokerGap } from './redis-resume.js';
import { decodeStoredJson } from './raw-json-message.js';

/** What is used of the subscriber connection (an ioredis client in pub/sub mode). */
interface SubscriberConnection {
  readonly status: string;
  subscribe(...channels: string[]): Promise<unknown>;
  unsubscribe(...channels: string[]): Promise<unknown>;
  on(event: 'message', listener: (channel: string, text: string) => void): unknown;
  on(event: 'ready' | 'close', listener: () => void): unknown;
}

export interface SubscriberOptions {
  readonly commands: HistoryCommands;
  readonly isCommandsUp: () => boolean;
  readonly timing: () => HistoryTiming;
  readonly pageLimits: () => PageLimits;
  /** Hands a message from Redis (live, or resumed from history) to the broker's listeners. */
  readonly deliver: (message: BrokerMessage) => void;
  readonly onGap: (gap: BrokerGap) => void;
  readonly onError: (error: Error) => void;
}

export class RedisSubscriber {
  readonly #watched = new Map<string, number>();
  /** SUBSCRIBEs sent and not yet confirmed, by Nexus channel. */
  readonly #confirming = new Map<string, Promise<void>>();
  #subscribed = false;
  readonly #resume: RedisResume;

  constructor(
    private readonly connection: SubscriberConnection,
    private readonly options: SubscriberOptions,
  ) {
    const { commands, onError } = options;
    this.#resume = new RedisResume({
      positions: async (channels) => {
        const timing = options.timing();
        const infos = await Promise.all(
          channels.map((channel) => openChannel(commands, channel, { locateOldest: true, create: false }, timing)),
        );
        return infos.map(({ exists, epoch, seq, oldestSeq }) => ({
          epoch: exists ? epoch : undefined,
          seq,
          oldestSeq,
        }));
      },
      pages: (channel, epoch, from, to) => historyPages(commands, channel, epoch, from, to, options.pageLimits()),
      isWatched: (channel) => this.#watched.has(channel),
      emit: options.deliver,
      onGap: options.onGap,
      onError,
    });
    connection.on('message', (channel: string, text: string) => this.#onMessage(channel, text));
    connection.on('ready', () => void this.#resubscribe());
    // Lost (output-buffer kill, CLIENT KILL, network, Redis restart): not subscribed until the
    // watched set is again, and what was published meanwhile is handed on from history then.
    connection.on('close', () => {
      this.#subscribed = false;
      this.#resume.lost();
    });
  }

  /** True while connected and subscribed to every watched channel. */
  get subscribed(): boolean {
    return this.#subscribed;
  }

  /** The watched channels with their counts (a live view). */
  get watched(): ReadonlyMap<string, number> {
    return this.#watched;
  }

  /** Counts one more local interest; true when the channel was not watched before. */
  watch(channel: string): boolean {
    const count = this.#watched.get(channel) ?? 0;
    this.#watched.set(channel, count + 1);
    if (count > 0) return false;
    // While disconnected, nothing is sent: the `ready` handler subscribes the whole watched set.
    if (this.connection.status === 'ready') this.#subscribe(channel);
    // Where a resume would count from, should the subscriber be lost before a message comes.
    if (this.options.isCommandsUp())
      openChannel(this.options.commands, channel, { locateOldest: false, create: true }, this.options.timing()).then(
        (info) => this.#watched.has(channel) && this.#resume.watched(channel, info),
        this.options.onError,
      );
    return true;
  }

  /**
   * Resolves once Redis has confirmed the SUBSCRIBE of a watched channel: from then on every
   * message published on it reaches this process. While the connection is away it resolves at
   * once; what is published meanwhile comes from history when the subscriber is back.
   */
  listening(channel: string): Promise<void> {
    return this.#confirming.get(channel) ?? Promise.resolve();
  }

  #subscribe(channel: string): void {
    const confirmed = this.connection.subscribe(messageChannel(channel)).then(
      () => undefined,
      (error: Error) => this.options.onError(error),
    );
    this.#confirming.set(channel, confirmed);
    void confirmed.finally(() => {
      if (this.#confirming.get(channel) === confirmed) this.#confirming.delete(channel);
    });
  }

  /** Undoes one `watch`; true when it was the last one. */
  unwatch(channel: string): boolean {
    const count = this.#watched.get(channel) ?? 0;
    if (count === 0) return false;
    if (count > 1) {
      this.#watched.set(channel, count - 1);
      return false;
    }
    this.#watched.delete(channel);
    this.#resume.unwatched(channel);
    if (this.connection.status === 'ready')
      void this.connection.unsubscribe(messageChannel(channel)).catch(this.options.onError);
    return true;
  }

  /**
   * The connection is (again) ready: subscribes exactly the watched set, then hands on from
   * history what the watched channels missed while it was away (nothing on a first connect).
   */
  async #resubscribe(): Promise<void> {
    const channels = [...this.#watched.keys()];
    this.#resume.hold(channels);
    try {
      if (channels.length > 0) await this.connection.subscribe(...channels.map(messageChannel));
    } catch (error) {
      // Lost again before it was subscribed: the next `ready` starts over.
      this.options.onError(error as Error);
      return;
    }
    this.#subscribed = true;
    await this.#resume.resume();
  }

  #onMessage(redisChannel: string, text: string): void {
    if (!redisChannel.startsWith(MESSAGE_CHANNEL_PREFIX)) return;
    let message: BrokerMessage;
    try {
      message = decodeStoredJson(text);
    } catch (error) {
      this.options.onError(error as Error);
      return;
    }
    this.#resume.live(message);
  }
}
