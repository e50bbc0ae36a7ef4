/**
 * Live telemetry frames that arrive while the page loads the channel's history wait here
 * (bounded) and are ingested after it, in seq order, so the ring buffers — which keep time
 * order — lose neither. Pure: no I/O, runs wherever the ring buffers live.
 */
export interface HistoryMessage {
  readonly seq: number;
  readonly data: unknown;
  readonly timestamp: string;
}

export interface HistoryPage {
  readonly channel: string;
  readonly epoch: string;
  readonly seq: number;
  readonly messages: readonly HistoryMessage[];
}

/** Live telemetry frames held while history loads; past this the oldest held are dropped. */
export const MAX_HELD_FRAMES = 20_000;

export type Ingest = (timeMs: number, seq: number, data: unknown) => void;

/**
 * Holds live frames until `finish` is called with the history (or undefined when it could not be
 * loaded): then ingests the history newer than `oldestMs`, and the held frames it did not cover.
 */
export class HistoryGate {
  #held: { timeMs: number; seq: number; data: unknown }[] | undefined = [];

  constructor(private readonly ingest: Ingest) {}

  get open(): boolean {
    return this.#held === undefined;
  }

  /** A live frame: ingested now, or held while the history loads. */
  offer(timeMs: number, seq: number, data: unknown): void {
    if (!this.#held) return this.ingest(timeMs, seq, data);
    this.#held.push({ timeMs, seq, data });
    if (this.#held.length > MAX_HELD_FRAMES) this.#held.splice(0, this.#held.length - MAX_HELD_FRAMES);
  }

  finish(page: HistoryPage | undefined, oldestMs: number): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    let lastSeq = 0;
    for (const message of page?.messages ?? []) {
      const timeMs = Date.parse(message.timestamp);
      lastSeq = message.seq;
      if (timeMs >= oldestMs) this.ingest(timeMs, message.seq, message.data);
    }
    for (const frame of held) if (frame.seq > lastSeq) this.ingest(frame.timeMs, frame.seq, frame.data);
  }
}
