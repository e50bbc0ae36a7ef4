// `npm run dev`: the Nexus server (recompiled and restarted on change, 5 simulated agents by
// default) plus Vite's dev server with hot reload, which proxies /ws and /api to it.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const serverPort = process.env.PORT ?? '8080';
const env = { ...process.env, PORT: serverPort, NEXUS_MOCK_AGENTS: process.env.NEXUS_MOCK_AGENTS ?? '5' };

// The tools' own entry points run directly under this Node (no npx wrapper), so stopping a
// child stops the tool itself.
const TSC = 'node_modules/typescript/bin/tsc';
const VITE = 'node_modules/vite/bin/vite.js';

const CLIENT_BUILD = 'packages/client/tsconfig.build.json';
for (const project of [CLIENT_BUILD, 'tsconfig.build.json']) {
  const first = spawnSync(process.execPath, [TSC, '-p', project], { cwd: root, stdio: 'inherit' });
  if (first.status !== 0) process.exit(first.status ?? 1);
}

const children = [
  spawn(process.execPath, [TSC, '-p', CLIENT_BUILD, '--watch', '--preserveWatchOutput'], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
  }),
  spawn(process.execPath, [TSC, '-p', 'tsconfig.build.json', '--watch', '--preserveWatchOutput'], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
  }),
  spawn(process.execPath, ['--watch-path=dist/server', '--watch-path=packages/client/dist', 'dist/server/main.js'], {
    cwd: root,
    env,
    stdio: 'inherit',
  }),
  spawn(process.execPath, [VITE], {
    cwd: root,
    env: { ...env, NEXUS_DEV_SERVER_URL: `http://127.0.0.1:${serverPort}` },
    stdio: 'inherit',
  }),
];

let stopping = false;
const stop = (signal) => {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill(signal);
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
for (const child of children) child.on('exit', () => stop('SIGTERM'));
