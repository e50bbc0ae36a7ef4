// Bench-side helpers shared by the Abuse scenarios (bench/abuse.mjs, bench/hostile.mjs): starting
// Nexus and load clients in a scope, reading /healthz and /metrics, sampling RSS, telling how a
// server process ended, and asking a Redis server for INFO without a client library.
import { connect as netConnect } from 'node:net';
import { setPriority } from 'node:os';
import { startLoadClient } from './client.mjs';
import { Scope, freePort, procRssBytes, startTarget } from './proc.mjs';

export const ABUSE_CLIENT = 'bench/lib/abuse-client.mjs';
export const HOSTILE_CLIENT = 'bench/lib/hostile-client.mjs';
export const MB = 2 ** 20;

export const wsUrl = (port) => `ws://127.0.0.1:${port}/ws`;

export function need(ok, message) {
  if (!ok) throw new Error(message);
}

export async function health(port) {
  return (await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(5000) })).json();
}

/** Sum of the samples of `name` in /metrics whose labels include `labels` (undefined when absent). */
export async function metric(port, name, labels = {}) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  let sum;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    if (!Object.entries(labels).every(([k, v]) => (m[2] ?? '').includes(`${k}="${v}"`))) continue;
    sum = (sum ?? 0) + Number(m[3]);
  }
  return sum;
}

/** Samples a process's RSS every `everyMs`; `stop()` returns the peak in bytes. */
export function rssSampler(pid, everyMs = 100) {
  let peak = procRssBytes(pid);
  const timer = setInterval(() => {
    const rss = procRssBytes(pid);
    if (rss > peak) peak = rss;
  }, everyMs);
  return {
    peak: () => peak,
    stop() {
      clearInterval(timer);
      const rss = procRssBytes(pid);
      return rss > peak ? rss : peak;
    },
  };
}

/** A Nexus server (NEXUS_DIR's build) in `scope`; `redisUrl` for the Redis broker. */
export async function nexus(scope, env, fds = 1024, { nodeArgs = [], redisUrl } = {}) {
  const port = await freePort();
  const server = await startTarget(scope, 'nexus', port, { env, fds, nodeArgs, redisUrl });
  return { port, server, url: wsUrl(port), http: `http://127.0.0.1:${port}` };
}

/** An Abuse load client (abuse-client.mjs, or `script`) on the client core; `nice` lowers its priority. */
export async function client(scope, fds = 1024, { script = ABUSE_CLIENT, nice = 0 } = {}) {
  const c = await startLoadClient(scope, { script, fds });
  if (nice) setPriority(c.pid, nice);
  return c;
}

/** A sub-run with its own processes, stopped at its end (and by the run's scope on a timeout). */
export async function phase(scope, fn) {
  const inner = new Scope();
  scope.defer(() => inner.close());
  try {
    return await fn(inner);
  } finally {
    await inner.close();
  }
}

export const codeOr0 = (code) => (code === undefined ? 0 : code);

/** Whether a started server process still runs: `alive`, or `died: <why>` from its exit and output. */
export function fate(server) {
  if (server.exitCode === null && server.signalCode === null) return 'alive';
  const tail = server.tail?.() ?? '';
  if (/heap out of memory|Allocation failed/i.test(tail)) return 'died: heap out of memory';
  if (server.signalCode === 'SIGKILL') return 'died: killed (SIGKILL, the kernel OOM killer?)';
  if (server.signalCode) return `died: ${server.signalCode}`;
  const last = tail.trim().split('\n').at(-1)?.slice(0, 160);
  return `died: exit code ${server.exitCode}${last ? ` (${last})` : ''}`;
}

/** `INFO <section>` of the Redis server on `port` as `{field: value}`, over a bare RESP exchange. */
export function redisInfo(port, section = 'memory') {
  return new Promise((resolve, reject) => {
    const socket = netConnect(port, '127.0.0.1');
    let buf = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('redis INFO timed out'));
    }, 5000);
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('data', (chunk) => {
      buf += chunk.toString('latin1');
      const m = /^\$(\d+)\r\n/.exec(buf);
      if (!m || buf.length < m[0].length + Number(m[1])) return;
      clearTimeout(timer);
      socket.end();
      const body = buf.slice(m[0].length, m[0].length + Number(m[1]));
      resolve(Object.fromEntries(body.split('\r\n').flatMap((l) => (l.includes(':') ? [l.split(/:(.*)/s, 2)] : []))));
    });
    socket.write(`*2\r\n$4\r\nINFO\r\n$${section.length}\r\n${section}\r\n`);
  });
}
