// `npm run bundle-size`: the size a browser app pays for `import { NexusWebSocket } from
// '@nexus-realtime/client'`. Bundles that one import for the browser with rolldown (the bundler
// inside vite), minified, then gzips it at level 9. Fails when the result is over the budget or
// when a Node module ended up in the bundle. Then, for the workspace (not with --from), the
// dashboard's first screen: the entry chunk and its static imports, gzipped, held to 150 kB
// (scripts/first-screen-size.mjs), with the chunks loaded on demand and the worker beside it.
//
//   node scripts/bundle-size.mjs [--from <folder whose node_modules has the package>] [--json]
//
// Without --from it bundles the workspace's built package (packages/client/dist, built first
// when missing); the packaging test points it at a folder where the tarball was installed.
import { existsSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'rolldown';
import { measureFirstScreen, report } from './first-screen-size.mjs';

/** The budget: smaller than socket.io-client's browser bundle (12.7 KB min+gzip). */
export const BUDGET_BYTES = 10 * 1024;

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Bundles `code` for the browser; its imports resolve as from a file in `fromDir` (a folder whose
 * node_modules holds `@nexus-realtime/client`).
 */
export async function measureBrowserBundle(code, { fromDir = root } = {}) {
  const entryId = join(resolve(fromDir), '__nexus_bundle_entry__.mjs');
  const nodeModules = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
  const imported = [];
  const output = await build({
    input: entryId,
    write: false,
    platform: 'browser',
    logLevel: 'silent',
    treeshake: true,
    resolve: { conditionNames: ['browser', 'import', 'module', 'default'] },
    plugins: [
      {
        name: 'entry-and-node-check',
        resolveId(source) {
          if (source === entryId) return entryId;
          if (nodeModules.has(source) || source === 'ws') imported.push(source);
          return null;
        },
        load(id) {
          return id === entryId ? code : null;
        },
      },
    ],
    output: { format: 'esm', minify: true, codeSplitting: false },
  });
  const text = output.output
    .filter((item) => item.type === 'chunk')
    .map((chunk) => chunk.code)
    .join('\n');
  return {
    minified: Buffer.byteLength(text),
    gzipped: gzipSync(text, { level: 9 }).length,
    nodeImports: [...new Set(imported)],
    hasZod: /ZodError|\$ZodType/.test(text),
  };
}

/** `12345` → `12.1 KB` (KiB, as bundle sizes are usually shown). */
export function kb(bytes) {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

async function main() {
  const { values } = parseArgs({ options: { from: { type: 'string' }, json: { type: 'boolean' } } });
  if (!values.from) {
    if (!existsSync(join(root, 'packages', 'client', 'dist', 'index.js'))) {
      const built = spawnSync('npm', ['run', '--silent', 'build:client'], { cwd: root, stdio: 'inherit' });
      if (built.status !== 0) process.exit(built.status ?? 1);
    }
  }
  const result = await measureBrowserBundle(
    "import { NexusWebSocket } from '@nexus-realtime/client';\nglobalThis.NexusWebSocket = NexusWebSocket;\n",
    { fromDir: values.from ?? root },
  );
  const clientOk = result.gzipped <= BUDGET_BYTES && result.nodeImports.length === 0;
  const firstScreen = values.from ? undefined : await measureFirstScreen();
  const ok = clientOk && (firstScreen?.ok ?? true);
  if (values.json) {
    console.log(JSON.stringify({ ...result, budget: BUDGET_BYTES, ok, ...(firstScreen ? { firstScreen } : {}) }));
  } else {
    console.log(`import { NexusWebSocket } from '@nexus-realtime/client' (browser build, rolldown --minify):`);
    console.log(`  minified ${kb(result.minified)}, min+gzip -9 ${kb(result.gzipped)} (budget ${kb(BUDGET_BYTES)})`);
    if (result.nodeImports.length > 0) console.log(`  Node modules in the bundle: ${result.nodeImports.join(', ')}`);
    if (result.hasZod) console.log('  note: zod is in the bundle');
    if (firstScreen) console.log(report(firstScreen));
  }
  if (!ok) process.exit(1);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
