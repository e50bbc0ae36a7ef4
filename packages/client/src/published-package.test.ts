/**
 * What `npm pack` publishes of this package: its package.json without the `nexus-source`
 * condition (written by scripts/publish-manifest.mjs at prepack, restored at postpack), every
 * export pointing into `dist/`, dependencies as ranges, and a LICENSE beside it; and what its
 * build compiles into `dist/`: no test, and not the tests' fake socket (`src/testing/`).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const SCRIPT = new URL('../scripts/publish-manifest.mjs', import.meta.url).href;

interface Manifest {
  readonly exports: unknown;
  readonly dependencies: Readonly<Record<string, string>>;
  readonly license: string;
  readonly files: readonly string[];
}

function targets(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value !== 'object' || value === null) return [];
  return Object.values(value).flatMap(targets);
}

describe('the published package.json', () => {
  it('has no nexus-source condition, and every export lies in dist/ (or is the manifest)', async () => {
    const { publishedManifest } = (await import(SCRIPT)) as { publishedManifest: (m: unknown) => Manifest };
    const repository = JSON.parse(readFileSync(`${PACKAGE_DIR}/package.json`, 'utf8')) as Manifest;
    const published = publishedManifest(repository);
    expect(JSON.stringify(published)).not.toContain('nexus-source');
    expect(JSON.stringify(repository.exports)).toContain('nexus-source'); // the repository keeps it
    for (const target of targets(published.exports)) expect(target).toMatch(/^\.\/(dist\/|package\.json$)/);
    expect(published.files).toEqual(['dist']);
  });

  it('depends on ws and zod as ranges, under the MIT license, with a LICENSE file', () => {
    const manifest = JSON.parse(readFileSync(`${PACKAGE_DIR}/package.json`, 'utf8')) as Manifest;
    expect(Object.keys(manifest.dependencies).sort()).toEqual(['ws', 'zod']);
    for (const range of Object.values(manifest.dependencies)) expect(range).toMatch(/^\^\d+\.\d+\.\d+$/);
    expect(manifest.license).toBe('MIT');
    for (const dir of [PACKAGE_DIR, `${PACKAGE_DIR}/../..`])
      expect(readFileSync(`${dir}/LICENSE`, 'utf8')).toMatch(/^MIT License/);
    expect(existsSync(`${PACKAGE_DIR}/scripts/publish-manifest.mjs`)).toBe(true);
  });

  it.skipIf(!existsSync(`${PACKAGE_DIR}/dist/index.js`))(
    "stage <dir> writes the package as published, and leaves the repository's package.json alone",
    () => {
      const before = readFileSync(`${PACKAGE_DIR}/package.json`, 'utf8');
      const parent = mkdtempSync(join(tmpdir(), 'nexus-stage-'));
      const dir = join(parent, 'package');
      try {
        execFileSync(process.execPath, [fileURLToPath(SCRIPT), 'stage', dir]);
        expect(readdirSync(dir).sort()).toEqual(['LICENSE', 'README.md', 'dist', 'package.json']);
        expect(readFileSync(join(dir, 'package.json'), 'utf8')).not.toContain('nexus-source');
        expect(readFileSync(`${PACKAGE_DIR}/package.json`, 'utf8')).toBe(before);
      } finally {
        rmSync(parent, { recursive: true, force: true });
      }
    },
  );

  it('builds no test support into dist/: neither tests nor src/testing (the fake socket)', () => {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const listed = execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--listFilesOnly'], {
      cwd: PACKAGE_DIR,
      encoding: 'utf8',
    });
    const sources = listed
      .split(/\r?\n/)
      .map((file) => file.replaceAll('\\', '/'))
      .filter((file) => file.includes('/packages/client/src/'));
    expect(sources.some((file) => file.endsWith('/src/nexus-websocket.ts'))).toBe(true); // the listing is the build's
    expect(sources.filter((file) => file.includes('/src/testing/') || file.endsWith('.test.ts'))).toEqual([]);
    expect(existsSync(`${PACKAGE_DIR}/src/testing/fake-socket.ts`)).toBe(true);
  });
});
