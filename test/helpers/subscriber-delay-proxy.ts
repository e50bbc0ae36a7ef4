/**
 * A loopback proxy in front of redis-server that holds back, by `delayMs`, what Redis sends on
 * connections that subscribed (pub/sub deliveries) and passes everything else at once: the order
 * in which a process sees the reply to its own publish and the message coming back through its
 * subscription is then fixed to the unlucky one.
 */
import { connect, createServer, type Socket } from 'node:net';

export interface SubscriberDelayProxy {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

export async function startSubscriberDelayProxy(targetPort: number, delayMs: number): Promise<SubscriberDelayProxy> {
  const sockets = new Set<Socket>();
  const server = createServer((downstream) => {
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(downstream).add(upstream);
    let subscribed = false;
    downstream.on('data', (chunk: Buffer) => {
      if (!subscribed && /SUBSCRIBE/i.test(chunk.toString('latin1'))) subscribed = true;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!subscribed) downstream.write(chunk);
      else setTimeout(() => downstream.writable && downstream.write(chunk), delayMs);
    });
    const end = () => {
      downstream.destroy();
      upstream.destroy();
      sockets.delete(downstream);
      sockets.delete(upstream);
    };
    for (const socket of [downstream, upstream]) socket.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
