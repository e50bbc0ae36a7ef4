/**
 * The page's side of the data plane: the part of the NexusWebSocket API the dashboard uses
 * (connect, subscribe, publish, `on` for client events and channel messages, the state), spoken
 * to the data plane by messages — to a Web Worker in the browser, or to the same core in the
 * page's thread (tests). Prepared telemetry, log rows and the rate arrive through `onData`.
 */
import type { ClientEvents, ConnectionState, Filters, PublishResult, SubscribeResult } from '@nexus-realtime/client';
import type { HistoryPage } from './history-gate';
import {
  FORWARDED_EVENTS,
  type ChartView,
  type ClientSnapshot,
  type ForwardedEvent,
  type FromCore,
  type Post,
  type ToCore,
} from './messages';

export type DataMessage = Extract<FromCore, { type: 'log' | 'telemetry' | 'rate' | 'legends' }>;
type Listener = (context: never) => void;

export class DataPlaneClient {
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
  /** What the charts show; the data plane prepares charts for it. */
  setView(view: ChartView): void {
    this.#post({ type: 'view', view });
  }
  /** The telemetry history the page loaded (undefined: it could not): live data waits for it. */
  loadHistory(page: HistoryPage | undefined): void {
    this.#post({ type: 'history', page });
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
    const isEvent = FORWARDED_NAMES.has(name);
    const map = (isEvent ? this.#listeners : this.#channels) as Map<string, Set<Listener>>;
    if (!isEvent && !this.#channels.has(name)) this.#post({ type: 'forward-channel', channel: name });
    let set = map.get(name);
    if (!set) map.set(name, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Prepared telemetry, log rows and the rate. */
  onData(listener: (message: DataMessage) => void): () => void {
    this.#dataListeners.add(listener);
    return () => this.#dataListeners.delete(listener);
  }

  /** A message from the data plane. */
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
      default:
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
