/**
 * A tiny reverse proxy in front of a Nexus server (HTTP and WebSocket upgrades passed through
 * as bytes), whose `/healthz` can be made to answer what a proxy or a dev server in the middle of
 * a restart would: an HTML 502 page.
 */
import { createServer, request, type Server } from 'node:http';
import { connect } from 'node:net';

export interface HealthProxy {
  readonly url: string;
  /** While true, `/healthz` answers a 502 HTML page instead of the server's JSON. */
  htmlHealth: boolean;
  /** `/healthz` requests seen, and how many of them got the HTML page. */
  readonly healthRequests: { total: number; html: number };
  close(): Promise<void>;
}

export async function startHealthProxy(targetPort: number): Promise<HealthProxy> {
  const state = { htmlHealth: true, healthRequests: { total: 0, html: 0 } };
  const server: Server = createServer((req, res) => {
    if (req.url?.startsWith('/healthz')) {
      state.healthRequests.total++;
      if (state.htmlHealth) {
        state.healthRequests.html++;
        res.writeHead(502, { 'content-type': 'text/html' });
        res.end('<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>');
        return;
      }
    }
    const upstream = request(
      { host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.once('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('upgrade', (req, socket, head) => {
    const upstream = connect(targetPort, '127.0.0.1', () => {
      const headers = Object.entries(req.headers).flatMap(([name, value]) =>
        (Array.isArray(value) ? value : [value ?? '']).map((v) => `${name}: ${v}`),
      );
      upstream.write([`${req.method} ${req.url} HTTP/1.1`, ...headers, '', ''].join('\r\n'));
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    const end = () => {
      upstream.destroy();
      socket.destroy();
    };
    upstream.once('error', end);
    socket.once('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('the proxy has no port');
  return Object.assign(state, {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  }) as HealthProxy;
}
