// Benchmark peer: Socket.IO 4 with the websocket transport only, the idiomatic way — a channel
// is a room, subscribe = join the room, a publish is `io.to(room).emit('message', frame)` (the
// adapter encodes the packet once for the whole room), the publisher's ack callback gets
// `{type:"ack",seq}`. No auth, no history, no filters. GET /healthz answers ok.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const PORT = Number(process.env.PORT ?? 0);
const HOST = process.env.HOST ?? '127.0.0.1';
const epoch = randomUUID();
const seqs = new Map();

const http = createServer((req, res) => {
  if (req.url === '/healthz') {
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ status: 'ok', connections: io.engine.clientsCount }));
  } else if (!req.url.startsWith('/socket.io/')) {
    res.writeHead(404).end();
  }
});
const io = new Server(http, {
  transports: ['websocket'],
  serveClient: false,
  perMessageDeflate: false,
  maxHttpBufferSize: 1024 * 1024,
});

io.on('connection', (socket) => {
  socket.on('subscribe', (msg, ack) => {
    const channel = msg?.channel;
    if (typeof channel !== 'string') return ack?.({ type: 'error', code: 'invalid_message' });
    socket.join(channel);
    ack?.({ type: 'subscribed', channel, seq: seqs.get(channel) ?? 0, epoch });
  });
  socket.on('unsubscribe', (msg, ack) => {
    socket.leave(msg?.channel);
    ack?.({ type: 'unsubscribed', channel: msg?.channel });
  });
  socket.on('publish', (msg, ack) => {
    const channel = msg?.channel;
    if (typeof channel !== 'string') return ack?.({ type: 'error', code: 'invalid_message' });
    const seq = (seqs.get(channel) ?? 0) + 1;
    seqs.set(channel, seq);
    io.to(channel).emit('message', {
      type: 'message',
      channel,
      from: 'anonymous',
      data: msg.payload,
      timestamp: new Date().toISOString(),
      seq,
      epoch,
    });
    ack?.({ type: 'ack', channel, seq });
  });
});

http.listen(PORT, HOST, () => console.log(`listening on http://${HOST}:${http.address().port}`));
const stop = () => {
  io.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
