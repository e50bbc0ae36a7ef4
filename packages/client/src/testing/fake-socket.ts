/**
 * The one in-memory WebSocket of the client's tests (and of the dashboard's tests of its data
 * plane): the client sees the `WebSocketLike` interface, the test drives the server side — open
 * the socket, welcome it, deliver frames, close it with a code, refuse the upgrade — and reads
 * what the client sent. Test support only: not part of the published package (excluded from the
 * build by tsconfig.build.json).
 */
import type { NetworkMonitor, WebSocketLike } from '../transport.js';

/** A frame the client sent, parsed. */
export type Sent = Record<string, unknown> & { action: string };

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 3;
/** Close code of a connection that ended without a close frame (what a refused upgrade gives). */
const ABNORMAL = 1006;

export class FakeSocket implements WebSocketLike {
  /** Every socket created since the last `reset()`, oldest first. */
  static instances: FakeSocket[] = [];

  /** Forgets the sockets created so far (call before each test). */
  static reset(): void {
    FakeSocket.instances = [];
  }

  /** The socket created last. */
  static get last(): FakeSocket {
    const socket = FakeSocket.instances.at(-1);
    if (!socket) throw new Error('no socket was created');
    return socket;
  }

  readyState = CONNECTING;
  readonly sent: Sent[] = [];
  /** Set when the client closed the socket. */
  closedByClient: { code: number | undefined; reason: string | undefined } | undefined;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: { message?: string }) => void) | null = null;

  constructor(readonly url: string) {
    FakeSocket.instances.push(this);
  }

  send(data: string): void {
    if (this.readyState !== OPEN) throw new Error('send() on a socket that is not open');
    this.sent.push(JSON.parse(data) as Sent);
  }

  close(code?: number, reason?: string): void {
    this.closedByClient = { code, reason };
    this.readyState = CLOSED;
  }

  // ---- driven by the test ----

  /** The token the client put in the URL. */
  get token(): string | null {
    return new URL(this.url).searchParams.get('token');
  }

  open(): void {
    this.readyState = OPEN;
    this.onopen?.({});
  }

  /** Opens the socket and sends the server's `connected` frame (fields may be overridden). */
  welcome(fields: Record<string, unknown> = {}): void {
    this.open();
    this.deliver({
      type: 'connected',
      message: 'Welcome to Nexus WebSocket',
      userId: 'u1',
      role: 'operator',
      connectionId: `conn-${FakeSocket.instances.indexOf(this)}`,
      heartbeatMs: 30_000,
      ...fields,
    });
  }

  /** Sends a frame from the server. */
  deliver(frame: object): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }

  /** The server closes the connection with `code`. */
  serverClose(code: number, reason = ''): void {
    this.readyState = CLOSED;
    this.onclose?.({ code, reason });
  }

  /** What `ws` does when the upgrade answers with an HTTP error status. */
  refuseUpgrade(status: number): void {
    this.onerror?.({ message: `Unexpected server response: ${status}` });
    this.readyState = CLOSED;
    this.onclose?.({ code: ABNORMAL, reason: '' });
  }

  /** The frames the client sent with this action. */
  actions(action: string): Sent[] {
    return this.sent.filter((frame) => frame.action === action);
  }

  /** The last frame the client sent with this action. */
  request(action: string): Sent {
    const frame = this.actions(action).at(-1);
    if (!frame) throw new Error(`the client sent no ${action}`);
    return frame;
  }

  /** Frames other than the client's sync pings. */
  get frames(): Sent[] {
    return this.sent.filter((frame) => !isSyncPing(frame));
  }

  /**
   * Answers the ping the client sends after resubscribing: the server handles frames in order,
   * so its pong follows every replay, and the client releases what it held in seq order.
   */
  answerSync(): void {
    const ping = this.sent.filter(isSyncPing).at(-1);
    if (!ping) throw new Error('the client sent no sync ping');
    this.deliver({ type: 'pong', id: ping.id, timestamp: Date.now() });
  }
}

function isSyncPing(frame: Sent): boolean {
  return frame.action === 'ping' && String(frame.id).startsWith('sync');
}

/** A network monitor the test switches: offline, then online (which tells the listeners). */
export class FakeNetwork implements NetworkMonitor {
  online = true;
  readonly listeners = new Set<() => void>();

  isOnline(): boolean {
    return this.online;
  }

  onOnline(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  goOnline(): void {
    this.online = true;
    for (const listener of [...this.listeners]) listener();
  }
}
