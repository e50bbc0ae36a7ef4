/**
 * What Nexus reads of ws's permessage-deflate extension (ws 8.23, pinned in package.json): the
 * parameters a connection negotiated, and the extension itself, whose inflating of client
 * messages deflate/inflate.ts replaces. Kept here rather than beside the other ws internals
 * (connection/ws-internals.ts) so that deflate/ depends on nothing of connection/.
 */
import type { WebSocket } from 'ws';

/** Negotiated permessage-deflate parameters (lib/permessage-deflate.js, `params`). */
interface DeflateParams {
  readonly server_no_context_takeover?: boolean;
  readonly server_max_window_bits?: number;
  readonly client_no_context_takeover?: boolean;
}

/** ws's permessage-deflate extension of one connection; its receiver calls `decompress`. */
export interface PerMessageDeflateInternals {
  readonly params?: DeflateParams | null;
  decompress(data: Buffer, fin: boolean, callback: (error: Error | null, data?: Buffer) => void): void;
}

interface WebSocketInternals {
  readonly _extensions?: { readonly 'permessage-deflate'?: PerMessageDeflateInternals };
}

/** zlib's default (and largest) LZ77 window. */
const DEFAULT_WINDOW_BITS = 15;

/**
 * The window (bits) to compress this connection's messages with, when it negotiated
 * permessage-deflate without server context takeover; undefined otherwise (send uncompressed).
 */
export function deflateWindowBitsOf(socket: WebSocket): number | undefined {
  const params = (socket as unknown as WebSocketInternals)._extensions?.['permessage-deflate']?.params;
  if (!params?.server_no_context_takeover) return undefined;
  return typeof params.server_max_window_bits === 'number' ? params.server_max_window_bits : DEFAULT_WINDOW_BITS;
}

/** The connection's permessage-deflate extension, when negotiated. */
export function perMessageDeflateOf(socket: WebSocket): PerMessageDeflateInternals | undefined {
  return (socket as unknown as WebSocketInternals)._extensions?.['permessage-deflate'];
}
