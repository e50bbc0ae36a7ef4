// Process helpers for the benchmark suite: free ports, CPU pinning with taskset, the open-file
// limit, /proc readings (CPU time, RSS), starting servers and waiting until they answer, and
// stopping every child by PID. Nothing here kills by name.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/**
 * The Nexus build the benchmark runs: this tree, or another checkout's (its `dist/` built) named
 * by BENCH_NEXUS_DIR, e.g. an older commit in a git worktree, so the same scenarios measure both.
 */
export const NEXUS_DIR = resolve(process.env.BENCH_NEXUS_DIR || ROOT);
export const OTHER_BUILD = NEXUS_DIR !== resolve(ROOT);
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;
export const CPUS = availableParallelism();
/** Pinning needs taskset and at least two cores: the server on core 0, load clients on core 1. */
export const PINNING = (() => {
  if (CPUS < 2) return { enabled: false, why: `only ${CPUS} core` };
  const probe = spawnSync('taskset', ['-c', '0', 'true']);
  if (probe.error || probe.status !== 0)
    return { enabled: false, why: 'taskset not found (apt-get install util-linux)' };
  return { enabled: true, why: 'server on core 0, load clients on core 1' };
})();
export const SERVER_CPU = '0';
export const CLIENT_CPU = '1';

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** The soft and hard "Max open files" of this process. */
export function fdLimits() {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  const [soft, hard] = line.replace('Max open files', '').trim().split(/\s+/);
  const n = (v) => (v === 'unlimited' ? Infinity : Number(v));
  return { soft: n(soft), hard: n(hard) };
}

/**
 * The command line that runs `cmd args` pinned to `cpu` (when pinning is on) with at least
 * `fds` open files. The limit is raised in a shell (`ulimit -n`) that then execs the command,
 * so the PID stays the command's own; taskset execs too.
 */
export function commandLine(cmd, args, { cpu, fds = 0 } = {}) {
  let line = [cmd, ...args];
  if (cpu !== undefined && PINNING.enabled) line = ['taskset', '-c', cpu, ...line];
  const { soft } = fdLimits();
  if (fds > soft) {
    line = ['sh', '-c', `ulimit -n ${fds} 2>/dev/null || exit 97; exec "$@"`, 'sh', ...line];
  }
  return line;
}

export class FdLimitError extends Error {}

/** Throws a clear error when the open-file limit cannot be raised to `fds` here. */
export function assertFdLimit(fds) {
  const { soft, hard } = fdLimits();
  if (fds <= soft) return;
  const probe = spawnSync('sh', ['-c', `ulimit -n ${fds}`]);
  if (probe.status !== 0) {
    throw new FdLimitError(
      `the benchmark needs ${fds} open files per process but the limit is ${soft} (hard ${hard}) and cannot be raised: ` +
        `run as root or raise it first (ulimit -Hn ${fds}; ulimit -n ${fds})`,
    );
  }
}

/** user+system CPU seconds of a process from /proc/<pid>/stat (NaN when gone). */
export function procCpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is state (field 3 of the whole line); utime is field 14, stime field 15.
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
}

/** Resident set size in bytes from /proc/<pid>/status (NaN when gone). */
export function procRssBytes(pid) {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Busy and total jiffies of all cores from /proc/stat (busy = everything but idle and iowait). */
function machineJiffies() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - f[3] - f[4], total };
}

/**
 * CPU meter: `stop()` returns the CPU used by the server PIDs and the client PIDs (/proc utime +
 * stime) in % of one core, and what every other process on the machine used meanwhile
 * (`otherPct`): when that is high, something outside the benchmark competed for the cores.
 */
export function cpuMeter(serverPids, clientPids = []) {
  const servers = [serverPids].flat();
  const clients = [clientPids].flat();
  const read = (list) => list.reduce((sum, pid) => sum + procCpuSeconds(pid), 0);
  const s0 = read(servers);
  const c0 = read(clients);
  const m0 = machineJiffies();
  const t0 = performance.now();
  return {
    stop() {
      const wallS = (performance.now() - t0) / 1000;
      const cpuS = read(servers) - s0;
      const clientS = read(clients) - c0;
      const m1 = machineJiffies();
      const busyS = (m1.busy - m0.busy) / CLK_TCK;
      return {
        cpuS,
        wallS,
        pct: (100 * cpuS) / wallS,
        clientPct: (100 * clientS) / wallS,
        otherPct: Math.max(0, (100 * (busyS - cpuS - clientS)) / wallS),
      };
    },
  };
}

/**
 * Waits (at most `maxMs`) until the machine is quiet: other processes using under `maxPct` % of
 * one core over half a second. Returns the last reading, so a run can be marked as noisy.
 */
export async function waitForQuiet({ maxPct = 20, maxMs = 60_000 } = {}) {
  const deadline = Date.now() + maxMs;
  let pct;
  do {
    const a = machineJiffies();
    await sleep(500);
    const b = machineJiffies();
    pct = (100 * (b.busy - a.busy)) / CLK_TCK / 0.5;
    if (pct < maxPct) return { quiet: true, pct };
  } while (Date.now() < deadline);
  return { quiet: false, pct };
}

/**
 * Tracks every child started for one scenario run, so a `finally` can stop them all by PID,
 * even after a timeout or an error.
 */
export class Scope {
  children = new Set();
  cleanups = [];

  closed = false;

  track(child, name) {
    child.benchName = name;
    // A run that timed out may still be starting processes: stop those at once.
    if (this.closed) void stopChild(child, { graceMs: 2000 });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  defer(fn) {
    this.cleanups.push(fn);
  }

  async close() {
    this.closed = true;
    for (const fn of this.cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch {
        /* best effort */
      }
    }
    await Promise.all([...this.children].map((child) => stopChild(child)));
  }
}

/** SIGTERM to the child's PID, SIGKILL after `graceMs`; resolves when it has exited. */
export function stopChild(child, { graceMs = 8000, signal = 'SIGTERM' } = {}) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      process.kill(child.pid, signal);
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}

/** Keeps the last few KB of a child's output, for error messages. */
function captureTail(child) {
  let tail = '';
  const keep = (chunk) => {
    tail = (tail + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => tail;
}

export async function waitForHttp(url, child, tail, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `${child.benchName} exited (${child.exitCode ?? child.signalCode}) before answering: ${tail().trim().slice(-1500)}`,
      );
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      /* not up yet */
    }
    await sleep(50);
  }
  throw new Error(`${child.benchName} did not answer ${url} within ${timeoutMs} ms: ${tail().trim().slice(-1500)}`);
}

export const NEXUS_SECRET = 'bench-secret-0123456789abcdefghijklmnopqrstuvwxyz';

/**
 * Starts one benchmark target on `port` (core 0): `nexus` (NEXUS_DIR/dist/server/main.js, production
 * secret, memory broker unless `redisUrl`), `ws` or `socketio` (bench/peers). Resolves when
 * its /healthz answers; returns the child (its PID is the server's).
 */
export async function startTarget(scope, kind, port, { redisUrl, fds = 0, nodeArgs = [], env = {} } = {}) {
  assertFdLimit(fds);
  const scripts = {
    nexus: 'dist/server/main.js',
    ws: 'bench/peers/ws-server.mjs',
    socketio: 'bench/peers/socketio-server.mjs',
  };
  const script = scripts[kind];
  if (!script) throw new Error(`unknown target ${kind}`);
  const cwd = kind === 'nexus' ? NEXUS_DIR : ROOT;
  // BENCH_NEXUS_NODE_ARGS adds node options to every Nexus process, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const extraArgs = kind === 'nexus' ? (process.env.BENCH_NEXUS_NODE_ARGS ?? '').split(' ').filter(Boolean) : [];
  const [cmd, ...args] = commandLine(process.execPath, [...extraArgs, ...nodeArgs, join(cwd, script)], {
    cpu: SERVER_CPU,
    fds,
  });
  const childEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    NEXUS_JWT_SECRET: NEXUS_SECRET,
    NEXUS_MOCK_AGENTS: '0',
    ...(redisUrl ? { NEXUS_REDIS_URL: redisUrl } : {}),
    ...env,
  };
  if (!redisUrl) delete childEnv.NEXUS_REDIS_URL;
  const child = scope.track(
    spawn(cmd, args, { cwd, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] }),
    `${kind}:${port}`,
  );
  const tail = captureTail(child);
  child.tail = tail;
  await waitForHttp(`http://127.0.0.1:${port}/healthz`, child, tail);
  return child;
}

/** A redis-server on a free port without persistence (core 0); stopped by the scope. */
export async function startRedis(scope) {
  const probe = spawnSync('redis-server', ['--version']);
  if (probe.error || probe.status !== 0)
    throw new Error('redis-server is not installed: apt-get install -y redis-server');
  const port = await freePort();
  const [cmd, ...args] = commandLine(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxclients', '1000'],
    { cpu: SERVER_CPU },
  );
  const child = scope.track(spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] }), `redis:${port}`);
  await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start on ${port}: ${out}`)), 10_000);
    child.stdout.on('data', (chunk) => {
      out += chunk.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}: ${out}`));
    });
  });
  child.stdout.resume();
  return { child, port, url: `redis://127.0.0.1:${port}` };
}

function newestMtimeMs(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (/\.test\.ts$/.test(entry)) continue; // tests are not built
    newest = Math.max(newest, newestMtimeMs(join(path, entry)));
  }
  return newest;
}

/**
 * `npm run build:server` when dist/server/main.js is missing or older than the server, client
 * or protocol sources (the benchmark runs the built server and the built client).
 */
export function buildServerIfStale() {
  if (OTHER_BUILD) {
    // Another checkout: used as built, never rebuilt from here.
    const other = join(NEXUS_DIR, 'dist', 'server', 'main.js');
    if (!existsSync(other))
      throw new Error(`BENCH_NEXUS_DIR: ${other} is missing; run npm run build:server there first`);
    return { rebuilt: false, builtAt: new Date(statSync(other).mtimeMs).toISOString(), dir: NEXUS_DIR };
  }
  const built = join(ROOT, 'dist', 'server', 'main.js');
  const builtAt = existsSync(built) ? statSync(built).mtimeMs : 0;
  const sourcesAt = Math.max(
    ...['src/server', 'packages/client/src', 'src/mock', 'tsconfig.build.json'].map((p) =>
      newestMtimeMs(join(ROOT, p)),
    ),
  );
  if (builtAt >= sourcesAt) return { rebuilt: false, builtAt: new Date(builtAt).toISOString() };
  console.error(
    builtAt ? 'bench: dist is older than src, running npm run build:server…' : 'bench: building the server…',
  );
  const result = spawnSync('npm', ['run', '--silent', 'build:server'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('npm run build:server failed; see the errors above');
  return { rebuilt: true, builtAt: new Date(statSync(built).mtimeMs).toISOString() };
}
