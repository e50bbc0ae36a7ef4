/**
 * Requests waiting for the server: publishes waiting for their ack, and subscribe() calls
 * waiting for the first answer to their subscription (which may come after reconnects, since a
 * subscription is re-sent with a new frame id each time).
 */
import type { ClientErrorCode, PublishResult, SubscribeResult } from './events.js';
import type { ErrorCode } from './protocol/codes.js';

type Settle<T> = (result: T) => void;
/** Why a request ended without the answer it waited for. */
export type RequestFailure = {
  readonly ok: false;
  readonly code: ErrorCode | ClientErrorCode;
  readonly message: string;
};

/** A request's failure with `code`. */
export function requestFailure(code: ErrorCode | ClientErrorCode, message: string): RequestFailure {
  return { ok: false, code, message };
}

export class PendingRequests {
  readonly #publishes = new Map<string, Settle<PublishResult>>();
  readonly #subscribeWaiters = new Map<string, Settle<SubscribeResult>[]>();
  /** Frame id of a sent subscribe → the subscription's key. */
  readonly #subscribeIds = new Map<string, string>();

  /** Resolves with the first answer to the subscription `key`. */
  waitForSubscribe(key: string): Promise<SubscribeResult> {
    return new Promise((resolve) => {
      const waiters = this.#subscribeWaiters.get(key) ?? [];
      waiters.push(resolve);
      this.#subscribeWaiters.set(key, waiters);
    });
  }

  subscribeSent(frameId: string, key: string): void {
    this.#subscribeIds.set(frameId, key);
  }

  /** The subscription a reply answers (forgotten once taken). */
  takeSubscribeKey(frameId: string): string | undefined {
    const key = this.#subscribeIds.get(frameId);
    this.#subscribeIds.delete(frameId);
    return key;
  }

  answerSubscribe(key: string, result: SubscribeResult): void {
    const waiters = this.#subscribeWaiters.get(key) ?? [];
    this.#subscribeWaiters.delete(key);
    for (const settle of waiters) settle(result);
  }

  publishSent(frameId: string, settle: Settle<PublishResult>): void {
    this.#publishes.set(frameId, settle);
  }

  /** Settles the publish sent as `frameId`; false when none waits. */
  answerPublish(frameId: string, result: PublishResult): boolean {
    const settle = this.#publishes.get(frameId);
    this.#publishes.delete(frameId);
    settle?.(result);
    return settle !== undefined;
  }

  /**
   * The publish sent as `frameId` was acknowledged. The server handles a connection's frames in
   * order, so the publishes sent before it that are still waiting were dropped unread (the
   * connection was over its rate and not read for a while): they settle with `dropped`.
   */
  ackedInOrder(frameId: string, dropped: RequestFailure): void {
    if (!this.#publishes.has(frameId)) return;
    for (const [id, settle] of this.#publishes) {
      if (id === frameId) return;
      this.#publishes.delete(id);
      settle(dropped);
    }
  }

  /** Frame ids of the publishes waiting now, in the order they were sent. */
  waitingPublishes(): string[] {
    return [...this.#publishes.keys()];
  }

  /** Settles those of `frameIds` still waiting with `dropped` (an answer to a later frame came first). */
  dropped(frameIds: readonly string[], dropped: RequestFailure): void {
    for (const id of frameIds) this.answerPublish(id, dropped);
  }

  /** The connection closed: sent publishes fail (their outcome is unknown); subscribes are re-sent later. */
  connectionLost(failure: RequestFailure): void {
    for (const id of [...this.#publishes.keys()]) this.answerPublish(id, failure);
    this.#subscribeIds.clear();
  }

  /** Everything still waiting fails. */
  failAll(failure: RequestFailure): void {
    this.connectionLost(failure);
    for (const key of [...this.#subscribeWaiters.keys()]) this.answerSubscribe(key, failure);
  }
}
