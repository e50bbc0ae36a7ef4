/**
 * permessage-deflate negotiation (RFC 7692 §7.1). The server always answers with
 * `server_no_context_takeover` (allowed whatever the client offered, §7.1.1.1), which is what
 * lets one compressed frame serve every recipient, and `client_no_context_takeover` (§7.1.1.2),
 * which lets each client message be inflated on its own (inflate.ts); it compresses with the window the client
 * asked for (`server_max_window_bits`, else 15) and inflates with the one the client announced
 * (`client_max_window_bits`).
 *
 * Offers the server cannot honour are declined — the handshake goes on without the extension
 * for that offer, as §7.1 requires — instead of failing the upgrade, which is what `ws` does
 * with a malformed offer: an offer with an unknown or repeated parameter or an invalid value,
 * and `server_max_window_bits=8` (zlib cannot deflate with a 256-byte window; it uses 512).
 * The acceptable offers are passed on to `ws` in the client's order of preference.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type ServerOptions, type WebSocket } from 'ws';
import { inflateSynchronously } from './inflate.js';
import { MAX_WINDOW_BITS, MIN_WINDOW_BITS } from './shared-deflate.js';

const EXTENSION = 'permessage-deflate';
const FLAGS = new Set(['server_no_context_takeover', 'client_no_context_takeover']);

/**
 * ws options for the extension: no context takeover either way (client messages are then
 * inflated in one synchronous call, see inflate.ts), windows as offered.
 */
export function deflateServerOptions(threshold: number): NonNullable<ServerOptions['perMessageDeflate']> {
  return { serverNoContextTakeover: true, clientNoContextTakeover: true, threshold };
}

/** Reads a window-bits value; undefined when it is not an integer within 8..15. */
function windowBits(value: string): number | undefined {
  if (!/^\d{1,2}$/.test(value)) return undefined;
  const bits = Number(value);
  return bits >= 8 && bits <= MAX_WINDOW_BITS ? bits : undefined;
}

/** The offer in canonical form when the server can honour it, else undefined. */
function acceptableOffer(params: readonly string[]): string | undefined {
  const seen = new Set<string>();
  const canonical = [EXTENSION];
  for (const param of params) {
    const eq = param.indexOf('=');
    const name = (eq < 0 ? param : param.slice(0, eq)).trim().toLowerCase();
    const raw = eq < 0 ? undefined : param.slice(eq + 1).trim();
    const value = raw?.startsWith('"') && raw.endsWith('"') && raw.length >= 2 ? raw.slice(1, -1) : raw;
    if (seen.has(name)) return undefined;
    seen.add(name);
    if (FLAGS.has(name)) {
      if (value !== undefined) return undefined;
    } else if (name === 'server_max_window_bits') {
      const bits = value === undefined ? undefined : windowBits(value);
      if (bits === undefined || bits < MIN_WINDOW_BITS) return undefined;
    } else if (name === 'client_max_window_bits') {
      if (value !== undefined && windowBits(value) === undefined) return undefined;
    } else {
      return undefined;
    }
    canonical.push(value === undefined ? name : `${name}=${value}`);
  }
  return canonical.join('; ');
}

/**
 * The `Sec-WebSocket-Extensions` offers the server can honour, rebuilt in the client's order;
 * undefined when none is left (the extension is declined). Other extensions are dropped: the
 * server supports none.
 */
export function acceptableDeflateOffers(header: string): string | undefined {
  const accepted: string[] = [];
  for (const offer of header.split(',')) {
    const [name, ...params] = offer.split(';').map((part) => part.trim());
    if (name?.toLowerCase() !== EXTENSION) continue;
    const canonical = acceptableOffer(params.filter((p) => p !== ''));
    if (canonical) accepted.push(canonical);
  }
  return accepted.length > 0 ? accepted.join(', ') : undefined;
}

/** A WebSocketServer that declines the permessage-deflate offers it cannot honour before `ws` negotiates. */
export class DeflateNegotiatingServer extends WebSocketServer {
  override handleUpgrade(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    callback: (client: WebSocket, request: IncomingMessage) => void,
  ): void {
    const header = request.headers['sec-websocket-extensions'];
    if (this.options.perMessageDeflate && header !== undefined) {
      const offers = acceptableDeflateOffers(header);
      if (offers === undefined) delete request.headers['sec-websocket-extensions'];
      else request.headers['sec-websocket-extensions'] = offers;
    }
    super.handleUpgrade(request, socket, head, (client, upgraded) => {
      inflateSynchronously(client, this.options.maxPayload ?? 0);
      callback(client, upgraded);
    });
  }
}
