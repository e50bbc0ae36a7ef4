/**
 * In-memory broker: one process. Per channel a strictly increasing `seq` and a ring of the last
 * `historySize` messages; one `epoch` per start, so a client holding a seq from an earlier run
 * learns it has a gap instead of being replayed the wrong messages.
 */
import { randomUUID } from 'node:crypto';
import {
  NO_PAGES,
  pagesOf,
  type Broker,
  type BrokerListener,
  type BrokerMessage,
  type ChannelPosition,
  type PublishRequest,
  type Replay,
} from './broker.js';

export interface MemoryBrokerOptions {
  readonly historySize: number;
  readonly now?: () => number;
  readonly epoch?: string;
}

/** A channel's counter and history ring. Seqs in the ring are contiguous, so look-up is O(1). */
class ChannelLog {
  seq = 0;
  readonly #ring: (BrokerMessage | undefined)[];
  #count = 0;

  constructor(readonly capacity: number) {
    this.#ring = new Array<BrokerMessage | undefined>(capacity);
  }

  append(message: BrokerMessage): void {
    this.seq = message.seq;
    if (this.capacity === 0) return;
    this.#ring[message.seq % this.capacity] = message;
    this.#count = Math.min(this.#count + 1, this.capacity);
  }

  /** Oldest seq still kept (seq + 1 when nothing is kept). */
  get oldestSeq(): number {
    return this.seq - this.#count + 1;
  }

  after(since: number): BrokerMessage[] {
    const out: BrokerMessage[] = [];
    for (let s = since + 1; s <= this.seq; s++) out.push(this.#ring[s % this.capacity]!);
    return out;
  }
}

export class MemoryBroker implements Broker {
  readonly kind = 'memory' as const;
  readonly processId = randomUUID();
  readonly epoch: string;
  readonly #logs = new Map<string, ChannelLog>();
  readonly #listeners = new Set<BrokerListener>();
  readonly #historySize: number;
  readonly #now: () => number;

  constructor(options: MemoryBrokerOptions) {
    this.#historySize = options.historySize;
    this.#now = options.now ?? Date.now;
    this.epoch = options.epoch ?? randomUUID();
  }

  async publish(request: PublishRequest): Promise<BrokerMessage> {
    const log = this.#log(request.channel);
    const message: BrokerMessage = {
      channel: request.channel,
      kind: request.kind,
      from: request.from,
      data: request.data,
      timestamp: new Date(this.#now()).toISOString(),
      seq: log.seq + 1,
      epoch: this.epoch,
    };
    log.append(message);
    for (const listener of this.#listeners) listener(message);
    return message;
  }

  onMessage(listener: BrokerListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  // One process: every publish already reaches every local hub, so interest needs no bookkeeping.
  watch(_channel: string): void {}
  unwatch(_channel: string): void {}

  async position(channel: string): Promise<ChannelPosition> {
    return { seq: this.#logs.get(channel)?.seq ?? 0, epoch: this.epoch };
  }

  async replay(channel: string, since: number, epoch: string | undefined): Promise<Replay> {
    const log = this.#logs.get(channel);
    const seq = log?.seq ?? 0;
    const base = { seq, epoch: this.epoch };
    const sameEpoch = epoch === undefined || epoch === this.epoch;
    if (!sameEpoch || since > seq) return { ...base, recovered: false, pages: NO_PAGES };
    if (!log || since === seq) return { ...base, recovered: true, pages: NO_PAGES };
    if (since + 1 < log.oldestSeq) return { ...base, recovered: false, pages: NO_PAGES };
    return { ...base, recovered: true, pages: pagesOf(log.after(since), 100) };
  }

  health() {
    return { healthy: true, details: {} };
  }

  async close(): Promise<void> {
    this.#listeners.clear();
  }

  #log(channel: string): ChannelLog {
    let log = this.#logs.get(channel);
    if (!log) {
      log = new ChannelLog(this.#historySize);
      this.#logs.set(channel, log);
    }
    return log;
  }
}
