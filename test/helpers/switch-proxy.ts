/**
 * A loopback TCP proxy whose target can be switched: it plays the load balancer in front of
 * several Nexus processes, so one client (one fixed URL) can lose process A and land on process
 * B. `refuse(true)` closes every new connection at once (no process behind the balancer);
 * `cutAll()` destroys the connections open now. Connections already open keep their target.
 */
import { connect, createServer, type Socket } from 'node:net';

export interface SwitchProxy {
  /** The proxy's own port on 127.0.0.1. */
  readonly port: number;
  /** `ws://127.0.0.1:<proxy port>/ws` */
  readonly url: string;
  /** Target port of every accepted connection, in order (refused ones are not listed). */
  readonly routed: readonly number[];
  /** Connections currently open. */
  readonly openConnections: number;
  /** New connections go to this port on 127.0.0.1. */
  setTarget(port: number): void;
  /** While on, new connections are closed at once. */
  refuse(on: boolean): void;
  /** Destroys every open proxied connection, both sides. */
  cutAll(): void;
  /** Cuts every connection and stops listening. */
  close(): Promise<void>;
}

export async function startSwitchProxy(initialTarget: number): Promise<SwitchProxy> {
  const pairs = new Set<{ downstream: Socket; upstream: Socket }>();
  const routed: number[] = [];
  let target = initialTarget;
  let refusing = false;

  const server = createServer((downstream) => {
    if (refusing) {
      downstream.destroy();
      return;
    }
    routed.push(target);
    const upstream = connect({ host: '127.0.0.1', port: target });
    const pair = { downstream, upstream };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      downstream.destroy();
      upstream.destroy();
    };
    downstream.pipe(upstream);
    upstream.pipe(downstream);
    for (const socket of [downstream, upstream]) {
      socket.on('error', end);
      socket.on('close', end);
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
  if (address === null || typeof address === 'string') throw new Error('switch proxy: no TCP address');
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
    get routed() {
      return routed;
    },
    get openConnections() {
      return pairs.size;
    },
    setTarget(next: number) {
      target = next;
    },
    refuse(on: boolean) {
      refusing = on;
    },
    cutAll,
    close() {
      cutAll();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
