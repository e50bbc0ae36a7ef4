/**
 * What the Redis broker does when its message subscriber was cut off (Redis closed it for its
 * output buffer, `CLIENT KILL`, a network cut, a Redis restart): pub/sub does not queue, so the
 * messages published meanwhile never arrive live. They are in Redis history, though. This module
 * remembers, per watched channel, the last message handed to the hub (or the channel's position
 * when it started being watched); once the subscriber is back and subscribed again, it reads
 * each channel's position, hands the missed messages to the hub from history in seq order, then
 * the live ones that arrived meanwhile (held until then, duplicates dropped). When history no
 * longer covers what was missed, it reports a gap for the channel instead of staying silent.
 *
 * A channel whose generation changed while cut off (it expired, or Redis lost its data) is
 * resumed from the start of its new generation: its subscribers see the new epoch, which tells
 * them that whatever came before it is unknown.
 */
import { HistoryTrimmedError, type BrokerMessage } from './broker.js';

/** A channel's state in Redis as the resume needs it. */
export interface ResumePosition {
  /** Absent: Redis holds no generation of the channel. */
  readonly epoch: string | undefined;
  readonly seq: number;
  /** Oldest seq still in history (seq + 1 when none). */
  readonly oldestSeq: number;
}

/** Messages a watched channel missed that history no longer holds (`fromSeq..toSeq`, one generation). */
export interface BrokerGap {
  readonly channel: string;
  readonly epoch: string;
  readonly fromSeq: number;
  readonly toSeq: number;
}

export interface ResumeOptions {
  /** Positions of many channels at once (one round trip per batch). */
  readonly positions: (channels: readonly string[]) => Promise<ResumePosition[]>;
  /** History of one generation, seqs `from..to`, page by page. */
  readonly pages: (channel: string, epoch: string, from: number, to: number) => AsyncIterable<readonly BrokerMessage[]>;
  readonly isWatched: (channel: string) => boolean;
  /** Hands a message to the hub. */
  readonly emit: (message: BrokerMessage) => void;
  readonly onGap: (gap: BrokerGap) => void;
  readonly onError: (error: Error) => void;
}

/** Channels whose positions are read in one round trip. */
const POSITION_BATCH = 256;
/**
 * Reading positions is retried this often, this many times (the command connection may come
 * back after the subscriber); then the held messages go on and the failure is reported.
 */
const POSITION_RETRY_MS = 200;
const POSITION_ATTEMPTS = 50;

interface Last {
  readonly seq: number;
  /** '' when the channel had no generation when watching started. */
  readonly epoch: string;
}

export class RedisResume {
  readonly #last = new Map<string, Last>();
  /** Live messages held per channel while it is being resumed. */
  readonly #held = new Map<string, BrokerMessage[]>();
  /** Bumped when the subscriber is lost again: a resume in progress gives up. */
  #round = 0;

  constructor(private readonly options: ResumeOptions) {}

  /** A message from the live subscription. */
  live(message: BrokerMessage): void {
    const held = this.#held.get(message.channel);
    if (held) held.push(message);
    else this.#handOn(message, false);
  }

  /** The channel's position when watching started: what a resume counts from until a message comes. */
  watched(channel: string, position: { seq: number; epoch: string | undefined }): void {
    if (!this.#last.has(channel)) this.#last.set(channel, { seq: position.seq, epoch: position.epoch ?? '' });
  }

  unwatched(channel: string): void {
    this.#last.delete(channel);
    this.#held.delete(channel);
  }

  /**
   * The subscriber is about to subscribe again after a loss: from now on, live messages of these
   * channels are held until `resume` has handed on what they missed.
   */
  hold(channels: readonly string[]): void {
    this.#round++;
    this.#held.clear();
    for (const channel of channels) if (this.#last.has(channel)) this.#held.set(channel, []);
  }

  /** The subscriber was lost: a resume in progress stops (the next one starts over). */
  lost(): void {
    this.#round++;
    this.#held.clear();
  }

  /** Hands on, channel by channel, what the held channels missed, then what arrived meanwhile. */
  async resume(): Promise<void> {
    const round = this.#round;
    const channels = [...this.#held.keys()];
    for (let i = 0; i < channels.length; i += POSITION_BATCH) {
      const batch = channels.slice(i, i + POSITION_BATCH);
      const positions = await this.#positions(batch, round);
      if (round !== this.#round) return;
      if (!positions) {
        for (const channel of channels.slice(i)) this.#release(channel);
        return;
      }
      for (let j = 0; j < batch.length; j++) {
        if (round !== this.#round) return;
        await this.#resumeChannel(batch[j]!, positions[j]!, round);
        if (round !== this.#round) return;
        this.#release(batch[j]!);
      }
    }
  }

  /** Positions of `channels`, retried while Redis answers errors; undefined when it never answered. */
  async #positions(channels: readonly string[], round: number): Promise<ResumePosition[] | undefined> {
    for (let attempt = 1; round === this.#round; attempt++) {
      try {
        return await this.options.positions(channels);
      } catch (error) {
        if (attempt >= POSITION_ATTEMPTS) {
          this.options.onError(new Error(`could not resume ${channels.length} channels: ${(error as Error).message}`));
          return undefined;
        }
        await new Promise((resolve) => setTimeout(resolve, POSITION_RETRY_MS));
      }
    }
    return undefined;
  }

  async #resumeChannel(channel: string, position: ResumePosition, round: number): Promise<void> {
    const last = this.#last.get(channel);
    if (!last || position.epoch === undefined || !this.options.isWatched(channel)) return;
    const { epoch } = position;
    const base = last.epoch === epoch ? last.seq : 0;
    if (position.seq <= base) return;
    let from = base + 1;
    if (position.oldestSeq > from) {
      this.options.onGap({ channel, epoch, fromSeq: from, toSeq: position.oldestSeq - 1 });
      from = position.oldestSeq;
    }
    // A read that fails (the command connection may still be coming back) is retried from the
    // next message not handed on; one that never succeeds ends in a gap, never in silence.
    for (let attempt = 1; from <= position.seq; attempt++) {
      try {
        for await (const page of this.options.pages(channel, epoch, from, position.seq)) {
          if (round !== this.#round) return;
          for (const message of page) {
            this.#handOn(message, true);
            from = message.seq + 1;
          }
        }
        return;
      } catch (error) {
        if (round !== this.#round) return;
        if (error instanceof HistoryTrimmedError) {
          this.options.onGap({ channel, epoch, fromSeq: error.nextSeq, toSeq: position.seq });
          return;
        }
        if (attempt >= POSITION_ATTEMPTS) {
          this.options.onError(new Error(`could not resume ${channel}: ${(error as Error).message}`));
          this.options.onGap({ channel, epoch, fromSeq: from, toSeq: position.seq });
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, POSITION_RETRY_MS));
      }
    }
  }

  #release(channel: string): void {
    const held = this.#held.get(channel);
    this.#held.delete(channel);
    for (const message of held ?? []) this.#handOn(message, true);
  }

  /**
   * Hands on a message. While resuming (`dedupe`), one at or below the last seq handed on in its
   * generation is dropped: the replay and the held live messages overlap. Live messages outside a
   * resume always go on (sessions drop what they already sent).
   */
  #handOn(message: BrokerMessage, dedupe: boolean): void {
    const last = this.#last.get(message.channel);
    if (dedupe && last && last.epoch === message.epoch && message.seq <= last.seq) return;
    if (this.options.isWatched(message.channel))
      this.#last.set(message.channel, {
        seq: last && last.epoch === message.epoch ? Math.max(last.seq, message.seq) : message.seq,
        epoch: message.epoch,
      });
    this.options.emit(message);
  }
}
