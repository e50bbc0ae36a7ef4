/**
 * A small loopback TCP proxy in front of a server port, for network-failure tests of clients:
 * `cutAll()` destroys every proxied connection (the client sees the TCP connection drop), and
 * `blackhole(true)` silently stops forwarding bytes in both directions without closing anything
 * (a dead route: the sockets look open, nothing arrives). New connections made while blackholed
 * are accepted but get nothing through either. `connections` counts every accepted connection,
 * so a test can tell how many times a client tried to connect.
 */
import { connect, createServer, type Socket } from 'node:net';

export interface TcpProxy {
  /** The proxy's own port on 127.0.0.1. */
  readonly port: number;
  /** `ws://127.0.0.1:<proxy port>/ws` */
  readonly url: string;
  /** Connections accepted since the proxy started. */
  readonly connections: number;
  /** Connections currently open. */
  readonly openConnections: number;
  /** Destroys every proxied connection, both sides. */
  cutAll(): void;
  /** Drops (on) or forwards again (off) every byte in both directions; sockets stay open. */
  blackhole(on: boolean): void;
  /** Cuts every connection and stops listening. */
  close(): Promise<void>;
}

interface Pair {
  readonly downstream: Socket;
  readonly upstream: Socket;
}

export async function startProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let blackholed = false;
  let accepted = 0;

  const server = createServer((downstream) => {
    accepted += 1;
    const upstream = connect({ host: targetHost, port: targetPort });
    const pair: Pair = { downstream, upstream };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      downstream.destroy();
      upstream.destroy();
    };
    downstream.on('data', (chunk) => {
      if (!blackholed) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!blackholed) downstream.write(chunk);
    });
    for (const socket of [downstream, upstream]) {
      socket.on('error', end);
      socket.on('close', end);
      socket.on('end', end);
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy: no TCP address');
  const port = address.port;

  const cutAll = () => {
    for (const pair of [...pairs]) {
      pairs.delete(pair);
      pair.downstream.destroy();
      pair.upstream.destroy();
    }
  };

  return {
    port,
    url: `ws://127.0.0.1:${port}/ws`,
    get connections() {
      return accepted;
    },
    get openConnections() {
      return pairs.size;
    },
    cutAll,
    blackhole(on: boolean) {
      blackholed = on;
    },
    close() {
      cutAll();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
