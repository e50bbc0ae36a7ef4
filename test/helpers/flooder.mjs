// A separate process that floods a Nexus server: `conns` WebSockets (one token) write a tiny
// publish frame as fast as TCP takes it — frames built and masked once, written in batches of
// 1,000 straight to the TCP socket, so the client costs almost nothing and the server sees what
// a hostile peer can offer. With `deflate`, each frame is compressed on its own (permessage-
// deflate, RSV1). Bounded in time (`durationMs`) and in count (`maxFrames` per connection); it
// prints one JSON line {frames, perSecond, replies, closeCodes, negotiated} and exits.
//
//   node test/helpers/flooder.mjs '{"url":"ws://…","token":"…","conns":20,"durationMs":3000,"deflate":false}'
import { constants as zlibConstants, deflateRawSync } from 'node:zlib';
import WebSocket from 'ws';

const options = JSON.parse(process.argv[2] ?? '{}');
const { url, token, conns: count = 20, durationMs = 3000, deflate = false, maxFrames = 50_000_000 } = options;
const BATCH = 1000;

function frameBytes() {
  const text = Buffer.from('{"action":"publish","channel":"flood","payload":{"n":1},"id":1}');
  let payload = text;
  if (deflate) {
    const z = deflateRawSync(text, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    payload = z.subarray(0, z.length - 4); // without the 00 00 ff ff tail, as permessage-deflate sends it
  }
  // FIN + text (+ RSV1 when compressed), masked with a zero key: the payload goes as it is.
  return Buffer.concat([Buffer.from([deflate ? 0xc1 : 0x81, 0x80 | payload.length, 0, 0, 0, 0]), payload]);
}

function open() {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url}?token=${encodeURIComponent(token)}`, {
      perMessageDeflate: deflate ? { threshold: 0, clientNoContextTakeover: true } : false,
    });
    const conn = { ws, replies: 0, closeCode: undefined };
    ws.on('message', () => conn.replies++);
    ws.on('close', (code) => (conn.closeCode = code));
    ws.on('error', () => {});
    ws.once('open', () => resolve(conn));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade answered ${res.statusCode}`)));
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function flood(conn, batch, stopAtMs, counts) {
  const socket = conn.ws._socket;
  let sent = 0;
  while (performance.now() < stopAtMs && conn.closeCode === undefined && !socket.destroyed && sent < maxFrames) {
    const ok = socket.write(batch);
    sent += BATCH;
    counts.frames += BATCH;
    if (ok) {
      await new Promise((resolve) => setImmediate(resolve));
      continue;
    }
    // TCP is full: wait until it takes more, the socket closes, or time is up.
    await Promise.race([
      new Promise((resolve) => socket.once('drain', resolve)),
      new Promise((resolve) => socket.once('close', resolve)),
      sleep(Math.max(1, stopAtMs - performance.now())),
    ]);
  }
}

const conns = await Promise.all(Array.from({ length: count }, open));
const batch = Buffer.concat(Array(BATCH).fill(frameBytes()));
const counts = { frames: 0 };
const startedAt = performance.now();
await Promise.all(conns.map((conn) => flood(conn, batch, startedAt + durationMs, counts)));
const elapsedS = (performance.now() - startedAt) / 1000;
await sleep(1000); // close frames on their way
const closeCodes = {};
for (const conn of conns) {
  const key = conn.closeCode === undefined ? 'open' : String(conn.closeCode);
  closeCodes[key] = (closeCodes[key] ?? 0) + 1;
  conn.ws.terminate();
}
process.stdout.write(
  `${JSON.stringify({
    frames: counts.frames,
    perSecond: Math.round(counts.frames / elapsedS),
    replies: conns.reduce((sum, c) => sum + c.replies, 0),
    closeCodes,
    negotiated: conns.filter((c) => c.ws.extensions.includes('permessage-deflate')).length,
  })}\n`,
);
process.exit(0);
