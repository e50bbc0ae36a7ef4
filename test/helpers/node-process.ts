/**
 * Builds (when stale) and spawns the compiled Nexus entry points (`node dist/…`) as child
 * processes for integration tests, and stops the ones a test left running.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pollUntil } from './raw.js';

/** The repository root: the working directory of every child and the base of every relative path here. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** How a child process ended. */
export interface NodeExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A spawned child process with its output collected as non-empty lines. */
export interface NodeChild {
  readonly process: ChildProcess;
  readonly stdout: string[];
  readonly stderr: string[];
  readonly exited: Promise<NodeExit>;
}

/** Every child spawned through this module, for `stopAll`. */
const children: ChildProcess[] = [];

/** Newest mtime of the non-test TypeScript sources under `dir`, recursively. */
function newestSourceMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMtime(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
      newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Runs `npm run build:server` unless every output (relative to ROOT) is newer than every source in `sourceDirs`. */
export function ensureBuilt(outputs: readonly string[], sourceDirs: readonly string[]): void {
  const built = (file: string) => {
    try {
      return statSync(join(ROOT, file)).mtimeMs;
    } catch {
      return 0;
    }
  };
  const builtAt = Math.min(...outputs.map(built));
  const sourcesAt = Math.max(...sourceDirs.map((d) => newestSourceMtime(join(ROOT, d))));
  if (builtAt > sourcesAt) return;
  const result = spawnSync('npm', ['run', 'build:server'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  if (result.status !== 0) throw new Error(`npm run build:server failed:\n${result.stdout}\n${result.stderr}`);
}

/** The test process's environment without Nexus, Vitest, PORT/HOST/LOG_LEVEL or NODE_OPTIONS settings, plus `extra`. */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (
      key.startsWith('NEXUS_') ||
      key === 'PORT' ||
      key === 'HOST' ||
      key === 'LOG_LEVEL' ||
      key.startsWith('VITEST') ||
      key === 'NODE_OPTIONS'
    )
      continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

/** Starts `node <ROOT>/<script> ...args` with `childEnv(env)`, collecting its stdout and stderr lines. */
export function spawnNode(script: string, args: readonly string[], env: Record<string, string>): NodeChild {
  const child = spawn(process.execPath, [join(ROOT, script), ...args], {
    cwd: ROOT,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const stdout: string[] = [];
  const stderr: string[] = [];
  const collect = (target: string[]) => {
    let partial = '';
    return (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      target.push(...lines.filter((l) => l.length > 0));
    };
  };
  child.stdout!.on('data', collect(stdout));
  child.stderr!.on('data', collect(stderr));
  const exited = new Promise<NodeExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { process: child, stdout, stderr, exited };
}

/** Waits for the "listening on http://127.0.0.1:<port>" line on stdout and returns the port; throws if the child exits or times out first. */
export async function waitForListening(child: NodeChild, timeoutMs = 10_000): Promise<number> {
  let port: number | undefined;
  const found = await pollUntil(() => {
    for (const line of child.stdout) {
      const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(line);
      if (match) {
        port = Number(match[1]);
        return true;
      }
    }
    return child.process.exitCode !== null;
  }, timeoutMs);
  if (!found || port === undefined)
    throw new Error(`no listening line; stdout: ${child.stdout.join('\n')}; stderr: ${child.stderr.join('\n')}`);
  return port;
}

/** Sends `signal` (SIGTERM unless given), by PID, to every child spawned here that is still running, and forgets them all. */
export function stopAll(signal: NodeJS.Signals = 'SIGTERM'): void {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined)
      process.kill(child.pid, signal);
  }
}
