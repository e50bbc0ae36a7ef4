/**
 * The memory broker's channels and their history, bounded three ways: at most `historySize`
 * messages per channel, none older than `ttlMs`, and at most `maxBytes` for all channels
 * together. Every kept message is also linked into one list in the order it was stored, across
 * channels, so both "drop what is too old" and "drop the oldest to make room" take the head of
 * that list: O(1) per message, with no scan over channels. The head of that list is always the
 * oldest message of its own channel too, so history never gets a hole in the middle.
 *
 * Bytes are what keeping a message really costs: a kept message is its delivery frame's bytes and
 * a few small fields (stored-message.ts), never a parsed payload, so its cost is its frame's length
 * plus a fixed overhead whatever the payload's shape. Each known channel counts a fixed overhead
 * and its name, so a flood of distinct channel names is bounded by the same budget as large
 * payloads.
 *
 * A channel with no message kept and no watcher is forgotten at once. If it comes back, its seq
 * restarts at 1, so it gets a new epoch (see `#newEpoch`).
 */
import { Deque } from './deque.js';
import type { StoredMessage } from './stored-message.js';
/** Counted per known channel on top of its name: map entry, state object, empty ring. */
export const CHANNEL_OVERHEAD_BYTES = 256;

export interface HistoryLimits {
  /** Messages kept per channel (0 = none, numbering only). */
  readonly historySize: number;
  /** A message leaves history this long after it was stored. */
  readonly ttlMs: number;
  /** All channels together, as counted above. */
  readonly maxBytes: number;
}

interface Entry {
  readonly message: StoredMessage;
  readonly bytes: number;
  readonly storedAtMs: number;
  readonly channel: ChannelState;
  older: Entry | undefined;
  newer: Entry | undefined;
}

/** One channel's numbering and kept messages. Seqs in `entries` are contiguous, ending at `seq`. */
export class ChannelState {
  seq = 0;
  watchers = 0;
  /** Bytes of the kept messages (without the channel's own overhead). */
  bytes = 0;
  readonly entries = new Deque<Entry>();

  constructor(
    readonly name: string,
    readonly epoch: string,
  ) {}

  /** Oldest seq kept (seq + 1 when nothing is). */
  get oldestSeq(): number {
    return this.seq - this.entries.length + 1;
  }

  /** The kept entry of `seq`, if any. */
  entry(seq: number): Entry | undefined {
    return this.entries.at(seq - this.oldestSeq);
  }
}

export interface HistoryStats {
  readonly channels: number;
  readonly messages: number;
  readonly bytes: number;
}

export class HistoryStore {
  readonly #channels = new Map<string, ChannelState>();
  /** The list of kept messages across channels, oldest first. */
  #oldest: Entry | undefined;
  #newest: Entry | undefined;
  #messages = 0;
  #messageBytes = 0;
  #channelBytes = 0;
  #lastStoredAtMs = 0;
  #forgotten = 0;
  #generation = 0;

  constructor(
    private readonly limits: HistoryLimits,
    private readonly processEpoch: string,
  ) {}

  get(channel: string): ChannelState | undefined {
    return this.#channels.get(channel);
  }

  /** The epoch a channel created now would get. */
  nextEpoch(): string {
    return this.#forgotten === 0 ? this.processEpoch : `${this.processEpoch}.${this.#generation + 1}`;
  }

  /** The channel's state, created (seq 0) when unknown. */
  open(channel: string): ChannelState {
    let state = this.#channels.get(channel);
    if (!state) {
      state = new ChannelState(channel, this.#newEpoch());
      this.#channels.set(channel, state);
      this.#channelBytes += CHANNEL_OVERHEAD_BYTES + channel.length;
    }
    return state;
  }

  watch(channel: string): void {
    this.open(channel).watchers++;
  }

  unwatch(channel: string): void {
    const state = this.#channels.get(channel);
    if (!state || state.watchers === 0) return;
    state.watchers--;
    this.#forgetIfIdle(state);
  }

  /** Records `message` (numbered `state.seq + 1`) and applies every bound. */
  append(state: ChannelState, message: StoredMessage, bytes: number, nowMs: number): void {
    state.seq = message.seq;
    if (this.limits.historySize === 0 || bytes > this.limits.maxBytes) {
      // Not kept: what came before can no longer be replayed without a hole after it.
      while (state.entries.length > 0) this.#dropOldestOf(state);
    } else {
      this.#link(state, message, bytes, Math.max(nowMs, this.#lastStoredAtMs));
      while (state.entries.length > this.limits.historySize) this.#dropOldestOf(state);
      while (this.#oldest && this.bytes > this.limits.maxBytes) this.#dropGloballyOldest();
    }
    this.#forgetIfIdle(state);
  }

  /** Oldest seq of `state` still young enough at `nowMs` (seq + 1 when none is). */
  oldestLiveSeq(state: ChannelState, nowMs: number): number {
    const cutoff = nowMs - this.limits.ttlMs;
    return state.oldestSeq + state.entries.firstIndexWhere((entry) => entry.storedAtMs > cutoff);
  }

  /** Removes up to `budget` messages older than the TTL, oldest first; returns how many. */
  expire(nowMs: number, budget: number): number {
    const cutoff = nowMs - this.limits.ttlMs;
    let removed = 0;
    while (removed < budget && this.#oldest && this.#oldest.storedAtMs <= cutoff) {
      this.#dropGloballyOldest();
      removed++;
    }
    return removed;
  }

  /** Total counted bytes: kept messages plus known channels. */
  get bytes(): number {
    return this.#messageBytes + this.#channelBytes;
  }

  get stats(): HistoryStats {
    return { channels: this.#channels.size, messages: this.#messages, bytes: this.bytes };
  }

  /**
   * The first generation of every channel uses the process epoch, as long as no channel has ever
   * been forgotten: until then, an unknown channel has never existed. Afterwards each new state
   * gets `<process epoch>.<n>` with n counting up, so a re-created channel (seq back to 1) never
   * shares an epoch with an earlier generation of itself.
   */
  #newEpoch(): string {
    const epoch = this.nextEpoch();
    if (this.#forgotten > 0) this.#generation++;
    return epoch;
  }

  #link(state: ChannelState, message: StoredMessage, bytes: number, storedAtMs: number): void {
    const entry: Entry = { message, bytes, storedAtMs, channel: state, older: this.#newest, newer: undefined };
    if (this.#newest) this.#newest.newer = entry;
    else this.#oldest = entry;
    this.#newest = entry;
    this.#lastStoredAtMs = storedAtMs;
    state.entries.push(entry);
    state.bytes += bytes;
    this.#messages++;
    this.#messageBytes += bytes;
  }

  #dropOldestOf(state: ChannelState): void {
    const entry = state.entries.shift()!;
    state.bytes -= entry.bytes;
    this.#messages--;
    this.#messageBytes -= entry.bytes;
    if (entry.older) entry.older.newer = entry.newer;
    else this.#oldest = entry.newer;
    if (entry.newer) entry.newer.older = entry.older;
    else this.#newest = entry.older;
    entry.older = entry.newer = undefined;
  }

  /** The oldest kept message overall is also the oldest of its channel. */
  #dropGloballyOldest(): void {
    const state = this.#oldest!.channel;
    this.#dropOldestOf(state);
    this.#forgetIfIdle(state);
  }

  #forgetIfIdle(state: ChannelState): void {
    if (state.watchers > 0 || state.entries.length > 0) return;
    if (this.#channels.get(state.name) !== state) return;
    this.#channels.delete(state.name);
    this.#channelBytes -= CHANNEL_OVERHEAD_BYTES + state.name.length;
    this.#forgotten++;
  }
}
