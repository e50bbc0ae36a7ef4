/**
 * A bystander of Redis in a child process of its own (so the test process's event loop does not
 * colour its figures): it publishes on a pub/sub channel it subscribes to, every `periodMs`, and
 * measures publish → receive through Redis. `stop()` ends it (by PID) and returns the latencies.
 */
import { spawn } from 'node:child_process';
import { ROOT } from './node-process.js';

export interface BystanderFigures {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface RedisBystander {
  /** Resets the samples (e.g. after a warm-up). */
  reset(): void;
  stop(): Promise<BystanderFigures>;
}

const SCRIPT = `
const { Redis } = require('ioredis');
const [url, periodMs] = process.argv.slice(1);
const pub = new Redis(url), sub = new Redis(url);
const sent = new Map(); let samples = [], n = 0;
sub.subscribe('bystander').then(() => {
  sub.on('message', (_c, id) => { const t = sent.get(id); if (t !== undefined) { samples.push(Number(process.hrtime.bigint() - t) / 1e6); sent.delete(id); } });
  setInterval(() => { const id = String(++n); sent.set(id, process.hrtime.bigint()); pub.publish('bystander', id); }, Number(periodMs));
  process.stdout.write('ready\\n');
});
process.stdin.on('data', (d) => {
  if (String(d).startsWith('reset')) { samples = []; return; }
  const s = samples.slice().sort((a, b) => a - b), at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
  process.stdout.write(JSON.stringify({ count: s.length, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: s.at(-1) ?? 0 }) + '\\n');
  process.exit(0);
});
`;

export async function startRedisBystander(url: string, periodMs = 10): Promise<RedisBystander> {
  const child = spawn(process.execPath, ['-e', SCRIPT, url, String(periodMs)], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 10_000;
  while (!output.includes('ready\n')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`bystander did not start: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    reset: () => void child.stdin.write('reset\n'),
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin.write('stop\n');
      const timer = setTimeout(() => child.pid !== undefined && process.kill(child.pid, 'SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
      const line = output.split('\n').find((l) => l.startsWith('{'));
      if (!line) throw new Error(`bystander gave no figures: ${output}`);
      return JSON.parse(line) as BystanderFigures;
    },
  };
}
