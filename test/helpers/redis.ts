/**
 * A real redis-server for tests, on a free loopback port, without persistence; stopped by PID.
 * Fails loudly when redis-server is missing (scripts/system-deps.sh installs it).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export interface TestRedis {
  readonly port: number;
  readonly url: string;
  /** Stops the server (SIGTERM to its PID) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port (after stop()). */
  restart(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

function assertInstalled(): void {
  const probe = spawnSync('redis-server', ['--version']);
  if (probe.error || probe.status !== 0) {
    throw new Error(
      'redis-server is not installed: run "apt-get install -y redis-server" (npm run test:all does it via scripts/system-deps.sh)',
    );
  }
}

/** Extra `redis-server` configuration, as command-line pairs (e.g. `['--maxmemory', '10mb']`). */
export interface RedisOptions {
  readonly args?: readonly string[];
}

function launch(port: number, args: readonly string[]): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start on ${port}`)), 10_000);
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.stdout!.resume();
        resolve(child);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}: ${output}`));
    });
  });
}

export async function startRedis(options: RedisOptions = {}): Promise<TestRedis> {
  assertInstalled();
  const port = await freePort();
  const args = options.args ?? [];
  let child: ChildProcess | undefined = await launch(port, args);
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      const running = child;
      child = undefined;
      if (!running || running.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        running.once('exit', () => resolve());
        running.kill('SIGTERM');
      });
    },
    async restart() {
      if (child) throw new Error('redis is running');
      child = await launch(port, args);
    },
  };
}
