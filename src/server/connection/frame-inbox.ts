/**
 * The frames of one connection waiting to be handled, in arrival order. Frames are handled one
 * at a time; a subscribe may take the other subscribes of its channel waiting behind it, so a
 * client re-subscribing several filtered subscriptions of one channel at once (as it does after
 * a reconnect) gets one merged replay in seq order instead of one replay per subscription.
 */
import { Action, parseClientFrame, type ClientFrame, type SubscribeFrame } from '@nexus-realtime/client/protocol';
import { payloadJsonOf } from './large-publish.js';

/**
 * A publish larger than this waits as the text it came in as and is parsed again when its turn
 * comes: parsed, a payload can cost 20× its JSON (a megabyte of `[{},{},…]` is ~20 MB of
 * objects), and frames already taken from TCP keep arriving for a while after reading stops
 * (e.g. dozens of compressed frames from one read, inflated one by one).
 */
export const KEEP_AS_TEXT_BYTES = 4096;

/** A waiting publish kept as text: what the inbox needs to know of it without its payload. */
interface TextFrame {
  readonly action: typeof Action.Publish;
  readonly text: string;
}

type Waiting = ClientFrame | TextFrame;

/**
 * A burst is over once nothing came for this long (a Node client compressing each frame with
 * permessage-deflate was seen sending a reconnect's subscribes ~12 ms apart)…
 */
const BURST_QUIET_MS = 20;
/** …and a wait for the rest of a burst lasts this long at most. */
const BURST_MAX_WAIT_MS = 100;

export class FrameInbox {
  readonly #frames: Waiting[] = [];
  /** Bytes each waiting frame came in as (its parsed form costs more: up to ~20× for tiny objects). */
  readonly #sizes = new Map<Waiting, number>();
  #bytes = 0;
  /** When the connection's last frame arrived (wall clock). */
  #lastArrivalMs = 0;

  constructor(private readonly nowMs: () => number = Date.now) {}

  /** Notes that a frame arrived (handled or refused): the peer's burst goes on. */
  arrived(): void {
    this.#lastArrivalMs = this.nowMs();
  }

  get size(): number {
    return this.#frames.length;
  }

  /** Bytes of the waiting frames, as they came in. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Adds a validated frame. `text` is what it was parsed from, given when the frame will wait
   * (others are being handled): a large publish then waits as that text.
   */
  push(frame: ClientFrame, bytes = 0, text?: string): void {
    // (A publish whose payload is still text costs its bytes already: it waits as it is.)
    const asText =
      text !== undefined && frame.action === Action.Publish && bytes > KEEP_AS_TEXT_BYTES && !payloadJsonOf(frame);
    const waiting: Waiting = asText ? { action: Action.Publish, text } : frame;
    this.#frames.push(waiting);
    this.#sizes.set(waiting, bytes);
    this.#bytes += bytes;
  }

  /** The oldest waiting frame, removed from the inbox (parsed again if it waited as text). */
  shift(): ClientFrame | undefined {
    const waiting = this.#frames.shift();
    if (!waiting) return undefined;
    this.#forget(waiting);
    if (!('text' in waiting)) return waiting;
    // It parsed and validated when it came in; the same text gives the same frame.
    const parsed = parseClientFrame(JSON.parse(waiting.text) as unknown);
    return parsed.ok ? parsed.frame : undefined;
  }

  #forget(frame: Waiting): void {
    this.#bytes -= this.#sizes.get(frame) ?? 0;
    this.#sizes.delete(frame);
  }

  /**
   * Removes and returns the subscribes of `channel` waiting before the next unsubscribe of that
   * channel (an unsubscribe in between changes what they mean, so they stay in order behind it).
   */
  takeSubscribes(channel: string): SubscribeFrame[] {
    // (A frame waiting as text is a publish: never taken, never an unsubscribe.)
    const taken: SubscribeFrame[] = [];
    for (let i = 0; i < this.#frames.length; i++) {
      const frame = this.#frames[i]!;
      if ('text' in frame) continue;
      if (frame.action === Action.Unsubscribe && frame.channel === channel) break;
      if (frame.action !== Action.Subscribe || frame.channel !== channel) continue;
      taken.push(frame);
      this.#frames.splice(i--, 1);
      this.#forget(frame);
    }
    return taken;
  }

  /** True when every waiting frame is a subscribe (a client re-subscribing may not be done yet). */
  holdsOnlySubscribes(): boolean {
    return this.#frames.every((frame) => frame.action === Action.Subscribe);
  }

  /**
   * Waits for the rest of the burst the oldest frames came in (a client re-subscribing after a
   * reconnect), so the subscribes of one channel can be answered together. They may come one
   * by one: a client compressing with permessage-deflate sends, and ws inflates, one frame at a
   * time. Over once another kind of frame is waiting (the Nexus client sends a ping after its
   * subscribes), once nothing came for BURST_QUIET_MS while `moreComing()` is false, after
   * BURST_MAX_WAIT_MS at most, or when `stillOpen()` turns false.
   */
  async restOfBurst(stillOpen: () => boolean, moreComing: () => boolean): Promise<void> {
    const startedAtMs = this.nowMs();
    while (stillOpen() && this.holdsOnlySubscribes()) {
      const nowMs = this.nowMs();
      if (nowMs - startedAtMs >= BURST_MAX_WAIT_MS) return;
      if (!moreComing() && nowMs - this.#lastArrivalMs >= BURST_QUIET_MS) return;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  clear(): void {
    this.#frames.length = 0;
    this.#sizes.clear();
    this.#bytes = 0;
  }
}
