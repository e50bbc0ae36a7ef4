/**
 * Starts the built server (`node dist/server/main.js`) as a child process on loopback. Port 0
 * (the default) lets the OS pick a free port, read back from the "listening on" line, so specs
 * never collide with another run; a test that restarts the server passes the port it got
 * (`server.port`) to start it again on the same one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface NexusProcess {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** SIGTERM, then wait for the exit code. */
  stop(): Promise<number | null>;
}

export async function startNexus(port = 0, env: Record<string, string> = {}): Promise<NexusProcess> {
  const child = spawn(process.execPath, ['dist/server/main.js'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', NEXUS_MOCK_AGENTS: '5', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const listening = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start within 15 s')), 15_000);
    let stderr = '';
    let stdout = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const printed = /listening on http:\/\/[^\s:"]+:(\d+)/.exec(stdout);
      if (printed) {
        clearTimeout(timer);
        stdout = '';
        resolve(Number(printed[1]));
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${stderr}`));
    });
  });
  child.stdout!.removeAllListeners('data');
  child.stdout!.resume();
  return {
    url: `http://127.0.0.1:${listening}`,
    port: listening,
    child,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
