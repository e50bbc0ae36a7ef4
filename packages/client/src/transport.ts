/**
 * The client's view of its transport: the WebSocket API it needs (injected: the browser's
 * global or `ws` in Node), the network monitor, and small helpers around them.
 */

/** The part of the WebSocket API the client uses (the browser's, or `ws` in Node). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: { message?: string }) => void) | null;
}
/** A WebSocket constructor, e.g. `globalThis.WebSocket` or `ws`'s default export. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** Tells the client whether the device is online (browsers: `navigator.onLine` + `online`). */
export interface NetworkMonitor {
  isOnline(): boolean;
  onOnline(listener: () => void): () => void;
}

/** The URL with the token as its `token` query parameter. */
export function withToken(url: string, token: string): string {
  const separator = url.includes('?') ? '&' : '?';
  return `${url}${separator}token=${encodeURIComponent(token)}`;
}

/** Detaches the client from a socket and closes it, whatever state it is in. */
export function closeQuietly(socket: WebSocketLike, code: number, reason: string): void {
  socket.onopen = socket.onmessage = socket.onclose = null;
  // Keep an error listener: Node's `ws` throws an error event that has no listener.
  socket.onerror = () => {};
  try {
    socket.close(code, reason);
  } catch {
    // Already closing or never opened: nothing to do.
  }
}

const OPEN = 1;
const UPGRADE_STATUS = /Unexpected server response: (\d{3})/;

/** What a socket tells the client: its data, and its close. */
export interface SocketEvents {
  readonly onData: (data: unknown) => void;
  readonly onClose: (code: number, reason: string) => void;
}

/**
 * One socket of the client, from its creation to its close. Once the client lets go of it
 * (`close()`), none of its events reach the client any more.
 */
export class ClientSocket {
  readonly #socket: WebSocketLike;
  #upgradeStatus: number | undefined;

  /** Opens a socket to `url` with `token`; throws when the WebSocket cannot be created. */
  constructor(Impl: WebSocketConstructor, url: string, token: string, events: SocketEvents) {
    const socket = (this.#socket = new Impl(withToken(url, token)));
    socket.onopen = null;
    socket.onmessage = (event) => events.onData(event.data);
    socket.onerror = (event) => {
      const status = UPGRADE_STATUS.exec(event?.message ?? '');
      if (status) this.#upgradeStatus = Number(status[1]);
    };
    socket.onclose = (event) => events.onClose(event.code, event.reason);
  }

  /** The HTTP status of a refused upgrade, where the platform tells it (Node's `ws`; browsers see 1006). */
  get upgradeStatus(): number | undefined {
    return this.#upgradeStatus;
  }

  get isOpen(): boolean {
    return this.#socket.readyState === OPEN;
  }

  /** Sends a frame as JSON; false when the socket is not open or the send failed. */
  send(frame: object): boolean {
    if (!this.isOpen) return false;
    try {
      this.#socket.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  /** Lets go of the socket: no more of its events, and it is closed with `code`. */
  close(code: number, reason: string): void {
    closeQuietly(this.#socket, code, reason);
  }
}

/** The browser's online/offline signal, or undefined outside browsers. */
export function browserNetwork(): NetworkMonitor | undefined {
  type Subscribe = (type: 'online', listener: () => void) => void;
  const scope = globalThis as {
    addEventListener?: Subscribe;
    removeEventListener?: Subscribe;
    navigator?: { onLine?: boolean };
  };
  if (typeof scope.addEventListener !== 'function' || typeof scope.navigator?.onLine !== 'boolean') return undefined;
  return {
    isOnline: () => scope.navigator?.onLine !== false,
    onOnline: (listener) => {
      scope.addEventListener!('online', listener);
      return () => scope.removeEventListener!('online', listener);
    },
  };
}
