/**
 * Publishes on their way out: sent at once while the connection is open, else kept in the
 * bounded offline queue (oldest dropped first, settled as `queue_overflow`) and sent, in order,
 * once the server welcomes the next connection. A sent publish waits for its ack in the
 * pending requests.
 */
import { ClientErrorCode, type PublishResult } from './events.js';
import { OfflineQueue } from './offline-queue.js';
import type { PendingRequests, RequestFailure } from './pending-requests.js';
import { Action } from './protocol/frames.js';

interface QueuedPublish {
  readonly frame: { action: 'publish'; id: string; channel: string; payload: unknown };
  readonly settle: (result: PublishResult) => void;
}

export interface OutboxOptions {
  readonly capacity: number;
  readonly pending: PendingRequests;
  /** Sends a frame; false when it could not be sent. */
  readonly send: (frame: object) => boolean;
  /** The full queue dropped `dropped` publishes. */
  readonly onOverflow: (dropped: number, capacity: number) => void;
}

export class Outbox {
  readonly #options: OutboxOptions;
  readonly #queue: OfflineQueue<QueuedPublish>;

  constructor(options: OutboxOptions) {
    this.#options = options;
    this.#queue = new OfflineQueue(options.capacity);
  }

  /** Publishes waiting in the offline queue. */
  get queued(): number {
    return this.#queue.size;
  }

  /** Sends the publish `id` now (`sendNow`) or queues it; resolves with its outcome, never rejects. */
  publish(id: string, channel: string, payload: unknown, sendNow: boolean): Promise<PublishResult> {
    return new Promise((settle) => {
      const item: QueuedPublish = { frame: { action: Action.Publish, id, channel, payload }, settle };
      if (sendNow) return this.#send(item);
      const dropped = this.#queue.push(item);
      if (dropped.length === 0) return;
      for (const old of dropped)
        old.settle({ ok: false, code: ClientErrorCode.QueueOverflow, message: 'dropped from the full offline queue' });
      this.#options.onOverflow(dropped.length, this.#queue.capacity);
    });
  }

  /** The connection is open: every queued publish is sent, oldest first. */
  flush(): void {
    for (const item of this.#queue.drain()) this.#send(item);
  }

  /** Every queued publish settles with `why`. */
  failQueued(why: RequestFailure): void {
    for (const item of this.#queue.drain()) item.settle(why);
  }

  #send(item: QueuedPublish): void {
    const { pending, send } = this.#options;
    pending.publishSent(item.frame.id, item.settle);
    if (!send(item.frame))
      pending.answerPublish(item.frame.id, {
        ok: false,
        code: ClientErrorCode.SendFailed,
        message: 'the frame could not be sent',
      });
  }
}
