/**
 * The broker numbers every message of a channel (`seq`), keeps the channel's recent history and
 * delivers each message to the hub of every process joined to it — including the process that
 * published it. Local and cross-process delivery take one path: the memory broker is simply a
 * broker with one process.
 */

/** Who produced a message: a client's publish (`message`) or a server-side one (`broadcast`). */
export type MessageKind = 'message' | 'broadcast';

export interface PublishRequest {
  readonly channel: string;
  readonly kind: MessageKind;
  /** The publisher's userId (`nexus` for the server's own messages); on the wire as `from`. */
  readonly from: string;
  readonly data: unknown;
  /**
   * The payload's JSON text, when it was never parsed (a large publish carried as it came in):
   * the delivery frame spells it byte for byte, and `data` is parsed from it only when read.
   */
  readonly dataJson?: string;
}

/** A numbered message, as stored in history and handed to hubs. */
export interface BrokerMessage {
  readonly channel: string;
  readonly kind: MessageKind;
  readonly from: string;
  readonly data: unknown;
  /** The payload's JSON text, when the message carries it unparsed (see `PublishRequest.dataJson`). */
  readonly dataJson?: string;
  /** ISO-8601 time the broker accepted the message. */
  readonly timestamp: string;
  readonly seq: number;
  readonly epoch: string;
  /** The process whose broker accepted the message (absent = this process). */
  readonly origin?: string;
  /**
   * The encoded delivery frame, when the broker built it already (the memory broker does, at
   * publish, and keeps only these bytes in history); otherwise the hub encodes it once per fan-out.
   */
  readonly frame?: Buffer;
}

/** A channel's position: its latest seq and the history generation it belongs to. */
export interface ChannelPosition {
  readonly seq: number;
  readonly epoch: string;
}

/** Result of asking for the messages after a seq. */
export interface Replay extends ChannelPosition {
  /** False when the history cannot cover the request (other epoch, or trimmed past `since`). */
  readonly recovered: boolean;
  /** The oldest seq history still holds (seq + 1 when it holds none), when the broker knows it. */
  readonly oldestSeq?: number;
  /**
   * The kept messages with seq > since (up to `seq`), oldest first, a page at a time — empty when
   * not recovered. Pages are read lazily: a consumer that stops iterating stops the reading, so a
   * large history never has to sit in memory (or in one Redis reply) at once.
   *
   * Because pages are read one after the other, history can move on meanwhile. When the next page
   * is no longer kept (trimmed by count, age or bytes, or the channel's generation is gone), the
   * iterator throws `HistoryTrimmedError` instead of skipping ahead: the consumer has delivered a
   * contiguous prefix and must treat the rest as a gap (e.g. tell the client it was not recovered).
   */
  readonly pages: AsyncIterable<readonly BrokerMessage[]>;
}

/** A replay with no messages. */
export const NO_PAGES: AsyncIterable<readonly BrokerMessage[]> = {
  async *[Symbol.asyncIterator]() {},
};

/** Pages of at most `pageSize` messages over an array already in memory. */
export function pagesOf(messages: readonly BrokerMessage[], pageSize: number): AsyncIterable<readonly BrokerMessage[]> {
  return {
    // eslint-disable-next-line @typescript-eslint/require-await -- an AsyncIterable over an array: nothing to await
    async *[Symbol.asyncIterator]() {
      for (let i = 0; i < messages.length; i += pageSize) yield messages.slice(i, i + pageSize);
    },
  };
}

/**
 * The newest (at most `limit`) messages history still holds, as a replay: for readers of "the
 * recent past" rather than "everything after my seq" (warm-up at start, a history page), which
 * must not come back empty just because the oldest of the last `limit` seqs has aged out. Not
 * recovered only when history changed generation between the two reads.
 */
export async function replayRecent(broker: Broker, channel: string, limit: number): Promise<Replay> {
  const { seq } = await broker.position(channel);
  const replay = await broker.replay(channel, Math.max(0, seq - limit), undefined);
  if (replay.recovered || replay.oldestSeq === undefined) return replay;
  return broker.replay(channel, Math.max(replay.oldestSeq - 1, replay.seq - limit), replay.epoch);
}

/** Reads every page of a replay (for small histories and tests). */
export async function collectPages(pages: AsyncIterable<readonly BrokerMessage[]>): Promise<BrokerMessage[]> {
  const out: BrokerMessage[] = [];
  for await (const page of pages) out.push(...page);
  return out;
}

/**
 * The broker could not take a message and nothing was delivered anywhere (e.g. Redis refuses
 * writes and this process has no subscriber of the channel). Clients get `unavailable`.
 */
export class BrokerUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BrokerUnavailableError';
  }
}

/**
 * A replay's next page is no longer in history (see `Replay.pages`): messages from `nextSeq` on
 * cannot be served. Everything yielded before it was contiguous and correct.
 */
export class HistoryTrimmedError extends Error {
  constructor(
    readonly channel: string,
    readonly nextSeq: number,
  ) {
    super(`history of ${channel} no longer holds seq ${nextSeq}`);
    this.name = 'HistoryTrimmedError';
  }
}

export interface BrokerHealth {
  readonly healthy: boolean;
  /** Extra fields for `/healthz`, e.g. `{ redis: 'down' }`. */
  readonly details: Readonly<Record<string, string>>;
}

export type BrokerListener = (message: BrokerMessage) => void;

/** What a channel's history holds: messages, and bytes as the broker counts them. */
export interface ChannelHistory {
  readonly messages: number;
  readonly bytes: number;
}

export interface Broker {
  readonly kind: 'memory' | 'redis';
  /** Identifies this process among the processes joined by the broker. */
  readonly processId: string;
  /**
   * Numbers, stores and distributes a message; resolves with it once accepted. Rejects with
   * `BrokerUnavailableError` when the message could reach nobody (nothing was delivered).
   */
  publish(request: PublishRequest): Promise<BrokerMessage>;
  /** Registers this process's hub; returns the function that removes it. */
  onMessage(listener: BrokerListener): () => void;
  /**
   * This process now has a local interest in `channel` (a broker may start listening, and keeps
   * the channel's numbering and epoch while it is watched). Calls are counted: each `watch` is
   * undone by one `unwatch`.
   */
  watch(channel: string): void;
  /** Undoes one `watch`; with no watcher and no history left, a channel costs nothing. */
  unwatch(channel: string): void;
  /**
   * Resolves once every message published on a watched `channel` from now on reaches this
   * process's listeners (for Redis: the SUBSCRIBE is confirmed). A position read after it cannot
   * miss a message that is neither in the position nor delivered live.
   */
  listening(channel: string): Promise<void>;
  /** The channel's latest seq (0 when none) and epoch. */
  position(channel: string): Promise<ChannelPosition>;
  /** Kept messages with seq > `since`, when the epoch matches and history reaches back that far. */
  replay(channel: string, since: number, epoch: string | undefined): Promise<Replay>;
  /** What the channel's history holds now (zero when nothing). */
  channelHistory(channel: string): Promise<ChannelHistory>;
  health(): BrokerHealth;
  close(): Promise<void>;
}
