/**
 * A thin test client over a real `ws` WebSocket: records every frame, and lets a test wait for
 * the next frame matching a predicate, or for the close.
 */
import WebSocket, { type ClientOptions } from 'ws';

export type Frame = Record<string, unknown> & { type: string };

export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
}

interface Waiter {
  readonly predicate: (frame: Frame) => boolean;
  readonly resolve: (frame: Frame) => void;
}

export class TestClient {
  readonly frames: Frame[] = [];
  readonly closed: Promise<CloseInfo>;
  #cursor = 0;
  #waiters: Waiter[] = [];
  #barriers = 0;

  private constructor(readonly socket: WebSocket) {
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      const frame = JSON.parse(data.toString()) as Frame;
      this.frames.push(frame);
      this.#waiters = this.#waiters.filter((w) => (w.predicate(frame) ? (w.resolve(frame), false) : true));
    });
    socket.on('error', () => {});
  }

  /** Opens a connection and waits for the `connected` frame. */
  static async connect(url: string, token?: string, options: ClientOptions = {}): Promise<TestClient> {
    const target =
      token === undefined ? url : `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
    const client = new TestClient(new WebSocket(target, options));
    await client.next((f) => f.type === 'connected');
    return client;
  }

  /** Tries to connect and returns the HTTP status of a refused upgrade (or 101). */
  static async upgradeStatus(url: string, options: ClientOptions = {}): Promise<number> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, options);
      socket.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        res.resume();
        socket.terminate();
      });
      socket.on('open', () => {
        resolve(101);
        socket.close();
      });
      socket.on('error', (error) => reject(error));
    });
  }

  send(frame: unknown): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /**
   * Resolves with the first frame after the last one consumed by `next` that matches; frames
   * already received count. Rejects after `timeoutMs`.
   */
  next(predicate: (frame: Frame) => boolean = () => true, timeoutMs = 5000): Promise<Frame> {
    for (let i = this.#cursor; i < this.frames.length; i++) {
      const frame = this.frames[i]!;
      if (predicate(frame)) {
        this.#cursor = i + 1;
        return Promise.resolve(frame);
      }
    }
    this.#cursor = this.frames.length;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames.slice(-5))}`)),
        timeoutMs,
      );
      this.#waiters.push({
        predicate,
        resolve: (frame) => {
          clearTimeout(timer);
          this.#cursor = this.frames.length;
          resolve(frame);
        },
      });
    });
  }

  /** Sends a frame with an `id` and waits for the reply carrying that id. */
  async request(frame: Record<string, unknown>, timeoutMs = 5000): Promise<Frame> {
    const id = frame.id ?? `req-${Math.random().toString(36).slice(2)}`;
    const reply = this.next((f) => f.id === id, timeoutMs);
    this.send({ ...frame, id });
    return reply;
  }

  /** Subscribes and waits for `subscribed` (or an error). */
  subscribe(channel: string, extra: Record<string, unknown> = {}): Promise<Frame> {
    return this.request({ action: 'subscribe', channel, ...extra });
  }

  /** Publishes with an id and waits for the ack (or an error). */
  publish(channel: string, payload: unknown): Promise<Frame> {
    return this.request({ action: 'publish', channel, payload });
  }

  /** Frames of a type received so far. */
  ofType(type: string): Frame[] {
    return this.frames.filter((f) => f.type === type);
  }

  /**
   * Waits until the server has answered every frame this client sent before: a ping, then its
   * pong (or the error carrying its id). The server answers the frames of one connection in
   * order, so once that answer is here, everything the server had sent on this connection before
   * it has arrived too: use it before checking that something did not arrive. Unlike `request`,
   * it leaves the cursor of `next` where it was.
   */
  barrier(timeoutMs = 5000): Promise<void> {
    const id = `barrier-${++this.#barriers}`;
    return new Promise((resolve, reject) => {
      const onMessage = () => {
        // The constructor's listener ran first, so the new frame is already the last one.
        if (this.frames.at(-1)?.id !== id) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no answer to the barrier ping ${id} within ${timeoutMs} ms`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.socket.off('message', onMessage);
      };
      this.socket.on('message', onMessage);
      this.send({ action: 'ping', id });
    });
  }

  /** Proves the connection still works: a ping gets a pong. */
  async assertAlive(): Promise<void> {
    const pong = await this.request({ action: 'ping' });
    if (pong.type !== 'pong') throw new Error(`expected pong, got ${JSON.stringify(pong)}`);
  }

  close(): Promise<CloseInfo> {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING)
      this.socket.close();
    return this.closed;
  }
}

/** Waits `ms` milliseconds. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
