// Benchmark peer: a minimal, careful hand-written pub/sub server on the `ws` package, speaking
// enough of Nexus's JSON frames for the benchmark (no auth, no history, no rate limit):
//   {"action":"subscribe","channel","filters"?,"id"?} → {"type":"subscribed","id","channel","seq","epoch"}
//   {"action":"publish","channel","payload","id"?}    → deliveries, then {"type":"ack","id","channel","seq"}
// A delivery is serialized once per message and the same bytes are sent to every subscriber.
// Filters are flat `{key: value | [values]}` matched naively (every subscriber of the channel is
// tested). Slow consumers past 4 MiB of unsent data are cut, as Nexus does.
// GET /healthz answers ok; GET /stats gives the time spent in fan-out loops.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';

const PORT = Number(process.env.PORT ?? 0);
const HOST = process.env.HOST ?? '127.0.0.1';
const MAX_BUFFERED = 4 * 1024 * 1024;
const epoch = randomUUID();

/** channel → Map<socket, matcher[]> */
const channels = new Map();
const seqs = new Map();
const fanOut = { seconds: 0, count: 0 };
const sockets = new Set();
let connections = 0;

const http = createServer((req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', connections }));
  } else if (req.url === '/stats') {
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ fanOutSeconds: fanOut.seconds, fanOutCount: fanOut.count, connections }));
  } else {
    res.writeHead(404).end();
  }
});
const wss = new WebSocketServer({
  server: http,
  perMessageDeflate: false,
  maxPayload: 1024 * 1024,
  clientTracking: false,
});

function compile(filters) {
  if (!filters || typeof filters !== 'object' || Object.keys(filters).length === 0) return () => true;
  const conditions = Object.entries(filters);
  return (data) => {
    if (typeof data !== 'object' || data === null || Array.isArray(data)) return false;
    for (const [key, expected] of conditions) {
      if (!Object.hasOwn(data, key)) return false;
      const value = data[key];
      if (Array.isArray(expected) ? !expected.includes(value) : value !== expected) return false;
    }
    return true;
  };
}

function reply(ws, frame) {
  ws.send(JSON.stringify(frame));
}

wss.on('connection', (ws) => {
  connections++;
  sockets.add(ws);
  const mine = new Set();
  ws.on('message', (raw, isBinary) => {
    if (isBinary) return reply(ws, { type: 'error', code: 'binary_not_supported', message: 'send JSON text frames' });
    let frame;
    try {
      frame = JSON.parse(raw.toString());
    } catch {
      return reply(ws, { type: 'error', code: 'invalid_json', message: 'not JSON' });
    }
    const { action, channel, id } = frame ?? {};
    if (typeof channel !== 'string' && action !== 'ping')
      return reply(ws, { type: 'error', code: 'invalid_message', message: 'channel required', id });
    switch (action) {
      case 'subscribe': {
        let subs = channels.get(channel);
        if (!subs) channels.set(channel, (subs = new Map()));
        const list = subs.get(ws) ?? [];
        list.push(compile(frame.filters));
        subs.set(ws, list);
        mine.add(channel);
        return reply(ws, {
          type: 'subscribed',
          id,
          channel,
          ...(frame.filters ? { filters: frame.filters } : {}),
          seq: seqs.get(channel) ?? 0,
          epoch,
        });
      }
      case 'unsubscribe':
        channels.get(channel)?.delete(ws);
        mine.delete(channel);
        return reply(ws, { type: 'unsubscribed', id, channel });
      case 'publish': {
        const seq = (seqs.get(channel) ?? 0) + 1;
        seqs.set(channel, seq);
        const subs = channels.get(channel);
        if (subs) {
          const started = process.hrtime.bigint();
          const data = frame.payload;
          let bytes;
          for (const [peer, matchers] of subs) {
            if (!matchers.some((m) => m(data))) continue;
            bytes ??= Buffer.from(
              JSON.stringify({
                type: 'message',
                channel,
                from: 'anonymous',
                data,
                timestamp: new Date().toISOString(),
                seq,
                epoch,
              }),
            );
            if (peer.readyState !== 1) continue;
            if (peer.bufferedAmount + bytes.length > MAX_BUFFERED) {
              peer.terminate();
              continue;
            }
            peer.send(bytes, { binary: false });
          }
          fanOut.seconds += Number(process.hrtime.bigint() - started) / 1e9;
          fanOut.count++;
        }
        if (id !== undefined) reply(ws, { type: 'ack', id, channel, seq });
        return;
      }
      case 'ping':
        return reply(ws, { type: 'pong', timestamp: Date.now(), id });
      default:
        return reply(ws, { type: 'error', code: 'unknown_action', message: 'unknown action', id });
    }
  });
  ws.on('close', () => {
    connections--;
    sockets.delete(ws);
    for (const channel of mine) {
      const subs = channels.get(channel);
      subs?.delete(ws);
      if (subs?.size === 0) channels.delete(channel);
    }
  });
  ws.on('error', () => {});
});

http.listen(PORT, HOST, () => console.log(`listening on http://${HOST}:${http.address().port}`));
const stop = () => {
  for (const ws of sockets) ws.terminate();
  http.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
