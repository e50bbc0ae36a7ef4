/**
 * Server CPU per ~1 MB publish: starts a Nexus build (this tree's dist, or the checkout named
 * first) on a free port, publishes `count` payloads of ~1 MB to new channels over one operator
 * connection (each waiting for its ack, no compression) and divides the server's CPU time (from
 * /proc) by the publishes. CPU time, not wall time, so a busy machine changes it little.
 *
 *   node bench/cpu-per-publish.mjs [checkout] [objects|string] [count]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { SignJWT } from 'jose';
import { WebSocket } from 'ws';

const [dir = '.', shape = 'objects', countText = '60'] = process.argv.slice(2);
const count = Number(countText);
const secret = 'bench-secret-0123456789abcdefghijklmnopqrstuvwxyz';
const port = await new Promise((done) => {
  const probe = createServer().listen(0, '127.0.0.1', () => {
    const { port: free } = probe.address();
    probe.close(() => done(free));
  });
});
const env = { ...process.env, PORT: String(port), NEXUS_JWT_SECRET: secret, NEXUS_MOCK_AGENTS: '0', LOG_LEVEL: 'warn' };
const server = spawn(process.execPath, [resolve(dir, 'dist/server/main.js')], {
  env,
  stdio: ['ignore', 'ignore', 'inherit'],
});
const cpuSeconds = () => {
  const fields = readFileSync(`/proc/${server.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 10 ms
};
try {
  for (let i = 0; i < 100; i++) {
    const up = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      () => true,
      () => false,
    );
    if (up) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const token = await new SignJWT({ userId: 'cpu-bench', role: 'operator' })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(secret));
  const socket = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${token}`, { perMessageDeflate: false });
  await new Promise((r, j) => socket.once('open', r).once('error', j));
  const payload =
    shape === 'objects' ? `[${new Array(333_000).fill('{}').join(',')}]` : JSON.stringify('x'.repeat(1e6));
  const pending = new Map();
  socket.on('message', (data) => {
    const frame = JSON.parse(data.toString());
    pending.get(frame.id)?.(frame);
    pending.delete(frame.id);
  });
  const publish = (id) =>
    new Promise((done) => {
      pending.set(id, done);
      socket.send(`{"action":"publish","channel":"cpu.${id}","id":"${id}","payload":${payload}}`);
    });
  for (let i = 0; i < 5; i++) await publish(`warm-${i}`);
  const before = cpuSeconds();
  let acked = 0;
  for (let i = 0; i < count; i++) if ((await publish(`p-${i}`)).type === 'ack') acked++;
  const cpuMs = ((cpuSeconds() - before) * 1000) / acked;
  console.log(JSON.stringify({ build: resolve(dir), shape, acked, cpuMsPerPublish: Number(cpuMs.toFixed(1)) }));
  socket.close();
} finally {
  server.kill();
}
