#!/usr/bin/env node
/**
 * The package.json that is published differs from the one in the repository by one thing: the
 * `nexus-source` export condition, which points at `src/` (not in the tarball) and lets this
 * repository's tools (tsc, Vite, Vitest) use the client's sources. `npm pack` and `npm publish`
 * run `prepack` (`strip`: the condition goes, the repository's file is kept aside) and `postpack`
 * (`restore`: the repository's file comes back).
 *
 * `stage <dir>` writes the package as it is published (the manifest without the condition, dist/,
 * README, LICENSE) into an empty folder without touching the repository's file, for a test that
 * packs it with `npm pack <dir> --ignore-scripts` while other tests run from this tree.
 *
 *   node scripts/publish-manifest.mjs strip | restore | check <package.json> | stage <dir>
 */
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
const MANIFEST = join(PACKAGE_DIR, 'package.json');
const KEPT_ASIDE = join(PACKAGE_DIR, 'package.json.repository');
const SOURCE_CONDITION = 'nexus-source';

/** The exports map without the source condition, at any depth. */
export function withoutSourceCondition(value) {
  if (Array.isArray(value)) return value.map(withoutSourceCondition);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== SOURCE_CONDITION)
      .map(([key, inner]) => [key, withoutSourceCondition(inner)]),
  );
}

/** The published manifest: the same, without the source condition. */
export function publishedManifest(manifest) {
  return { ...manifest, exports: withoutSourceCondition(manifest.exports) };
}

function strip() {
  if (existsSync(KEPT_ASIDE)) restore(); // a pack that was interrupted: start from the repository's file
  const text = readFileSync(MANIFEST, 'utf8');
  writeFileSync(KEPT_ASIDE, text);
  writeFileSync(MANIFEST, `${JSON.stringify(publishedManifest(JSON.parse(text)), null, 2)}\n`);
}

function restore() {
  if (existsSync(KEPT_ASIDE)) renameSync(KEPT_ASIDE, MANIFEST);
}

function stage(dir) {
  const manifest = JSON.parse(readFileSync(existsSync(KEPT_ASIDE) ? KEPT_ASIDE : MANIFEST, 'utf8'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(publishedManifest(manifest), null, 2)}\n`);
  for (const name of ['dist', 'README.md', 'LICENSE'])
    cpSync(join(PACKAGE_DIR, name), join(dir, name), { recursive: true });
}

function check(path) {
  const text = readFileSync(path, 'utf8');
  if (text.includes(SOURCE_CONDITION)) {
    console.error(`${path}: still names the "${SOURCE_CONDITION}" condition`);
    process.exit(1);
  }
}

const [command, path] = process.argv.slice(2);
if (command === 'strip') strip();
else if (command === 'restore') restore();
else if (command === 'check' && path) check(path);
else if (command === 'stage' && path) stage(path);
else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.error('usage: publish-manifest.mjs strip | restore | check <package.json> | stage <dir>');
  process.exit(2);
}
