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
