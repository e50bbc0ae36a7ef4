// Parent side of a load-client process: starts bench/lib/load-client.mjs (or another script that
// speaks the same IPC protocol, e.g. bench/lib/abuse-client.mjs) on the client core with enough
// open files, and calls its commands over IPC with a timeout each.
import { spawn } from 'node:child_process';
import { CLIENT_CPU, ROOT, commandLine, assertFdLimit } from './proc.mjs';

export async function startLoadClient(scope, { fds = 4096, script = 'bench/lib/load-client.mjs' } = {}) {
  assertFdLimit(fds);
  const [cmd, ...args] = commandLine(process.execPath, [script], { cpu: CLIENT_CPU, fds });
  const child = scope.track(
    spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
    'load-client',
  );
  const pending = new Map();
  let nextId = 1;
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  await new Promise((resolve, reject) => {
    child.once('message', (msg) => (msg?.ready ? resolve() : reject(new Error('load client did not start'))));
    exited.then(({ code }) =>
      reject(
        new Error(
          code === 97
            ? `cannot raise the open-file limit to ${fds} for the load client`
            : `load client exited with ${code}`,
        ),
      ),
    );
  });
  child.on('message', (msg) => {
    const entry = pending.get(msg.id);
    if (!entry) return;
    pending.delete(msg.id);
    clearTimeout(entry.timer);
    if (msg.ok) entry.resolve(msg.result);
    else entry.reject(new Error(`load client ${entry.cmd}: ${msg.error}`));
  });
  exited.then(({ code, signal }) => {
    for (const entry of pending.values())
      entry.reject(new Error(`load client exited (${code ?? signal}) during ${entry.cmd}`));
    pending.clear();
  });
  return {
    pid: child.pid,
    child,
    call(cmd, args = {}, timeoutMs = 120_000) {
      return new Promise((resolve, reject) => {
        const id = nextId++;
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`load client ${cmd} timed out after ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, { resolve, reject, timer, cmd });
        child.send({ id, cmd, args });
      });
    },
  };
}
