/**
 * The frames of one connection waiting to be handled, in arrival order. Frames are handled one
 * at a time; a subscribe may take the other subscribes of its channel waiting behind it, so a
 * client re-subscribing several filtered subscriptions of one channel at once (as it does after
 * a reconnect) gets one merged replay in seq order instead of one replay per subscription.
 */
import { Action, type ClientFrame, type SubscribeFrame } from '@nexus-realtime/client/protocol';

/**
 * A burst is over once nothing came for this long (a Node client compressing each frame with
 * permessage-deflate was seen sending a reconnect's subscribes ~12 ms apart)…
 */
const BURST_QUIET_MS = 20;
/** …and a wait for the rest of a burst lasts this long at most. */
const BURST_MAX_WAIT_MS = 100;

export class FrameInbox {
  readonly #frames: ClientFrame[] = [];
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

  push(frame: ClientFrame): void {
    this.#frames.push(frame);
  }

  /** The oldest waiting frame, removed from the inbox. */
  shift(): ClientFrame | undefined {
    return this.#frames.shift();
  }

  /**
   * Removes and returns the subscribes of `channel` waiting before the next unsubscribe of that
   * channel (an unsubscribe in between changes what they mean, so they stay in order behind it).
   */
  takeSubscribes(channel: string): SubscribeFrame[] {
    const taken: SubscribeFrame[] = [];
    for (let i = 0; i < this.#frames.length; i++) {
      const frame = this.#frames[i]!;
      if (frame.action === Action.Unsubscribe && frame.channel === channel) break;
      if (frame.action !== Action.Subscribe || frame.channel !== channel) continue;
      taken.push(frame);
      this.#frames.splice(i--, 1);
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
  }
}
