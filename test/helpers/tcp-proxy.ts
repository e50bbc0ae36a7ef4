/**
 * A small loopback TCP proxy in front of a server port, for network-failure tests of clients:
 * `cutAll()` destroys every proxied connection (the client sees the TCP connection drop), and
 * `blackhole(true)` silently stops forwarding bytes in both directions without closing anything
 * (a dead route: the sockets look open, nothing arrives). New connections made while blackholed
 * are accepted but get nothing through either. `connections` counts every accepted connection,
 * so a test can tell how many times a client tried to connect. `setTarget(port)` re-points new
 * connections (a load balancer in front of several processes) and `refuse(true)` closes new
 * connections at once (no process behind the balancer); open connections keep their target.
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
  /** Target port of every accepted connection, in order (refused ones are not listed). */
  readonly routed: readonly number[];
  /** New connections go to this port on the target host. */
  setTarget(port: number): void;
  /** While on, new connections are closed at once. */
  refuse(on: boolean): void;
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
  let target = targetPort;
  let refusing = false;
  const routed: number[] = [];

  const server = createServer((downstream) => {
    if (refusing) {
      downstream.destroy();
      return;
    }
    accepted += 1;
    routed.push(target);
    const upstream = connect({ host: targetHost, port: target });
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
    get routed() {
      return routed;
    },
    setTarget(next: number) {
      target = next;
    },
    refuse(on: boolean) {
      refusing = on;
    },
    close() {
      cutAll();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
