// The dashboard's first screen: the JavaScript a browser must fetch before the page shows
// anything (the entry chunk and every chunk it imports statically), gzipped at level 9. Chunks
// behind a dynamic import (the charts, the admin views) and the Web Worker are reported apart.
// `npm run bundle-size` runs it after the client check; alone:
//
//   node scripts/first-screen-size.mjs [--json]
//
// It builds the app with Vite's manifest into a temporary folder (dist/app is left alone).
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';

/** The first screen's budget, in kB (1000 bytes) of gzip, as Vite prints sizes. */
export const FIRST_SCREEN_BUDGET_BYTES = 150 * 1000;

const root = fileURLToPath(new URL('..', import.meta.url));

/** `123456` → `123.5 kB`. */
export function kB(bytes) {
  return `${(bytes / 1000).toFixed(1)} kB`;
}

/** Builds the app into a temporary folder and measures its first screen and lazy chunks. */
export async function measureFirstScreen() {
  const { build } = await import('vite');
  const outDir = mkdtempSync(join(tmpdir(), 'nexus-first-screen-'));
  try {
    await build({
      root,
      logLevel: 'silent',
      build: { outDir, emptyOutDir: true, manifest: 'manifest.json', reportCompressedSize: false },
    });
    return measureManifest(outDir, JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8')));
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

/**
 * From a Vite manifest: the entry's JavaScript with its static imports (the first screen), then
 * each dynamic import with the static imports it adds (a lazy chunk), then the Web Worker.
 */
export function measureManifest(outDir, manifest) {
  const sizeOf = (file) => {
    const code = readFileSync(join(outDir, file));
    return { file, minified: code.length, gzipped: gzipSync(code, { level: 9 }).length };
  };
  const staticClosure = (keys, seen) => {
    const files = [];
    const visit = (key) => {
      const chunk = manifest[key];
      if (!chunk || seen.has(chunk.file)) return;
      seen.add(chunk.file);
      files.push(chunk.file);
      for (const next of chunk.imports ?? []) visit(next);
    };
    for (const key of keys) visit(key);
    return files;
  };
  const entries = Object.keys(manifest).filter((key) => manifest[key].isEntry);
  const firstSeen = new Set();
  const firstScreen = staticClosure(entries, firstSeen).map(sizeOf);
  const lazyKeys = [...new Set(Object.values(manifest).flatMap((chunk) => chunk.dynamicImports ?? []))];
  const lazy = lazyKeys.map((key) => {
    const files = staticClosure([key], new Set(firstSeen)).map(sizeOf);
    return {
      name: manifest[key]?.name ?? key,
      files,
      gzipped: sum(files, 'gzipped'),
      minified: sum(files, 'minified'),
    };
  });
  const workers = readdirSync(join(outDir, 'assets'))
    .filter((file) => /^worker-.*\.js$/.test(file))
    .map((file) => sizeOf(join('assets', file)));
  return {
    firstScreen: { files: firstScreen, gzipped: sum(firstScreen, 'gzipped'), minified: sum(firstScreen, 'minified') },
    lazy,
    workers,
    budget: FIRST_SCREEN_BUDGET_BYTES,
    ok: sum(firstScreen, 'gzipped') <= FIRST_SCREEN_BUDGET_BYTES,
  };
}

function sum(files, key) {
  return files.reduce((total, file) => total + file[key], 0);
}

/** The figures, one line each. */
export function report(result) {
  const line = ({ file, minified, gzipped }) => `    ${file}: ${kB(minified)} minified, ${kB(gzipped)} gzip`;
  const lines = [
    `Dashboard first screen (entry chunk + its static imports): ${kB(result.firstScreen.gzipped)} gzip, ` +
      `${kB(result.firstScreen.minified)} minified (budget ${kB(result.budget)} gzip)`,
    ...result.firstScreen.files.map(line),
  ];
  for (const chunk of result.lazy) {
    lines.push(`  on demand, ${chunk.name}: ${kB(chunk.gzipped)} gzip, ${kB(chunk.minified)} minified`);
    lines.push(...chunk.files.map(line));
  }
  for (const worker of result.workers)
    lines.push(`  Web Worker: ${kB(worker.gzipped)} gzip, ${kB(worker.minified)} minified (${worker.file})`);
  return lines.join('\n');
}

async function main() {
  const { values } = parseArgs({ options: { json: { type: 'boolean' } } });
  const result = await measureFirstScreen();
  console.log(values.json ? JSON.stringify(result) : report(result));
  if (!result.ok) {
    if (!values.json) console.log(`  over budget: load more of the page on demand (React.lazy / import())`);
    process.exit(1);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
