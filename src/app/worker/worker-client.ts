/**
 * The page's side of the worker: the part of the NexusWebSocket API the dashboard uses (connect,
 * subscribe, publish, `on` for client events, `onChannel` for channel messages, the state),
 * spoken to the worker by messages — to a Web Worker in the browser, or to the same core in the
 * page's thread (tests). Prepared telemetry, log rows and the rate arrive through `onData`.
 */
import type { ClientEvents, ConnectionState, Filters, PublishResult, SubscribeResult } from '@nexus-realtime/client';
import {
  FORWARDED_EVENTS,
  type ChartView,
  type ClientSnapshot,
  type ForwardedEvent,
  type FromCore,
  type Post,
  type ToCore,
} from './messages';
import type { HistoryPage } from './model/history-gate';
import type { RollupAnswer } from './model/rollups';

export type DataMessage = Extract<FromCore, { type: 'log' | 'telemetry' | 'rate' | 'legends' | 'telemetry-demand' }>;
type Listener = (context: never) => void;

export class WorkerClient {
  readonly #post: Post<ToCore>;
  readonly #provideToken: () => Promise<string>;
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #channels = new Map<string, Set<(data: unknown) => void>>();
  readonly #waits = new Map<number, (result: never) => void>();
  readonly #dataListeners = new Set<(message: DataMessage) => void>();
  #requestIds = 0;
  #state: ConnectionState = 'idle';
  #snapshot: ClientSnapshot = { attempt: 0, nextRetryAt: undefined, queuedCount: 0 };

  constructor(post: Post<ToCore>, provideToken: () => Promise<string>) {
    this.#post = post;
    this.#provideToken = provideToken;
  }

  get state(): ConnectionState {
    return this.#state;
  }
  get attempt(): number {
    return this.#snapshot.attempt;
  }
  get nextRetryAt(): number | undefined {
    return this.#snapshot.nextRetryAt;
  }
  get queuedCount(): number {
    return this.#snapshot.queuedCount;
  }

  connect(): void {
    this.#post({ type: 'connect' });
  }
  disconnect(): void {
    this.#post({ type: 'disconnect' });
  }
  reconnectNow(): void {
    this.#post({ type: 'reconnect-now' });
  }
  checkLiveness(): void {
    this.#post({ type: 'check-liveness' });
  }
  unsubscribe(channel: string): void {
    this.#post({ type: 'unsubscribe', channel });
  }
  /** What the charts show; the worker prepares charts for it. */
  setView(view: ChartView): void {
    this.#post({ type: 'view', view });
  }
  /** The telemetry history the page loaded (undefined: it could not): live data waits for it. */
  loadHistory(page: HistoryPage | undefined): void {
    this.#post({ type: 'history', page });
  }

  /** The server's rollups of one metric: drawn where the live buffers hold nothing. */
  loadRollups(answer: RollupAnswer): void {
    this.#post({ type: 'rollups', answer });
  }

  subscribe(channel: string, filters?: Filters): Promise<SubscribeResult> {
    return this.#request((requestId) => ({ type: 'subscribe', requestId, channel, ...(filters ? { filters } : {}) }));
  }

  publish(channel: string, payload: unknown): Promise<PublishResult> {
    return this.#request((requestId) => ({ type: 'publish', requestId, channel, payload }));
  }

  /** A client event, or (any other name) the data of a channel's messages. Returns `off()`. */
  on<K extends ForwardedEvent>(event: K, listener: (context: ClientEvents[K]) => void): () => void;
  on(channel: string, listener: (data: unknown) => void): () => void;
  on(name: string, listener: Listener): () => void {
    if (!FORWARDED_NAMES.has(name)) return this.onChannel(name, listener as (data: unknown) => void);
    let set = this.#listeners.get(name);
    if (!set) this.#listeners.set(name, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  /**
   * The data of a channel's messages, even a channel named like a client event: the worker is
   * asked to forward that channel (once), in batches with the log rows. Returns `off()`.
   */
  onChannel(channel: string, listener: (data: unknown) => void): () => void {
    let set = this.#channels.get(channel);
    if (!set) {
      this.#channels.set(channel, (set = new Set()));
      this.#post({ type: 'forward-channel', channel });
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Prepared telemetry, log rows and the rate. */
  onData(listener: (message: DataMessage) => void): () => void {
    this.#dataListeners.add(listener);
    return () => this.#dataListeners.delete(listener);
  }

  /** A message from the worker. */
  receive(message: FromCore): void {
    switch (message.type) {
      case 'event':
        return this.#onEvent(message.name, message.context, message.snapshot);
      case 'token-request':
        return void this.#provideToken().then(
          (token) => this.#post({ type: 'token', requestId: message.requestId, token }),
          (error: unknown) =>
            this.#post({ type: 'token', requestId: message.requestId, error: String((error as Error)?.message) }),
        );
      case 'result': {
        const wait = this.#waits.get(message.requestId);
        this.#waits.delete(message.requestId);
        return wait?.(message.result as never);
      }
      case 'channel':
        for (const data of message.data)
          for (const listener of this.#channels.get(message.channel) ?? []) listener(data);
        return;
      case 'rate':
        this.#snapshot = message.snapshot;
        for (const listener of this.#dataListeners) listener(message);
        return;
      case 'log':
      case 'telemetry':
      case 'legends':
      case 'telemetry-demand':
        for (const listener of this.#dataListeners) listener(message);
    }
  }

  #onEvent(name: ForwardedEvent, context: unknown, snapshot: ClientSnapshot): void {
    this.#snapshot = snapshot;
    if (name === 'state') this.#state = (context as ClientEvents['state']).next;
    for (const listener of [...(this.#listeners.get(name) ?? [])]) (listener as (c: unknown) => void)(context);
  }

  #request<T>(frame: (requestId: number) => ToCore): Promise<T> {
    const requestId = ++this.#requestIds;
    return new Promise<T>((resolve) => {
      this.#waits.set(requestId, resolve as (result: never) => void);
      this.#post(frame(requestId));
    });
  }
}

const FORWARDED_NAMES: ReadonlySet<string> = new Set(FORWARDED_EVENTS);
