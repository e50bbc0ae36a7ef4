// `npm start`: builds when dist is missing or older than the sources, then runs the compiled
// server in this process (no TypeScript loader). Simulated agents default to 5 here.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const stamp = join(root, 'dist', '.build-stamp');
const inputs = [
  'src',
  'packages/client/src',
  'packages/client/package.json',
  'index.html',
  'public',
  'vite.config.ts',
  'tsconfig.json',
  'tsconfig.build.json',
  'package-lock.json',
];

function newestMtimeMs(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtimeMs(join(path, entry)));
  return newest;
}

export function buildIfStale() {
  const builtAt = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
  const sourcesAt = Math.max(...inputs.map((input) => newestMtimeMs(join(root, input))));
  if (builtAt >= sourcesAt && existsSync(join(root, 'dist', 'server', 'main.js'))) return;
  console.error(builtAt ? 'nexus: sources changed, rebuilding…' : 'nexus: building…');
  const result = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error('nexus: build failed; see the errors above');
    process.exit(result.status ?? 1);
  }
  writeFileSync(stamp, new Date().toISOString());
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  buildIfStale();
  process.env.NEXUS_MOCK_AGENTS ??= '5';
  await import('../dist/server/main.js');
}
