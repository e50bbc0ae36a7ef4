/**
 * The packages as a user gets them: `npm pack` of `@nexus-realtime/client` and of `nexus-realtime`,
 * installed with `--omit=dev` in empty folders. The client installs without any server
 * dependency, imports and connects in Node, type-checks for a TypeScript user, and bundles for
 * the browser with no Node module, within the size budget; the main package runs the server with
 * `npx nexus-realtime` and exports `createNexusServer`.
 *
 * The tarballs are packed from the build already in the tree (`npm run test:all` builds first)
 * with `--ignore-scripts`: their `prepack` (a clean build) would rewrite `dist/` under the other
 * integration tests that run the built server at the same time.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childEnv, ROOT } from './helpers/node-process.js';
import { pollUntil } from './helpers/raw.js';

const run = promisify(execFile);
const CLIENT_DIR = join(ROOT, 'packages', 'client');
/** Packages only the server needs; none may come with the client. */
const SERVER_DEPENDENCIES = ['express', 'ioredis', 'pino', 'prom-client', 'jose'];
const NPM_FLAGS = ['--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];

interface PackedFile {
  readonly path: string;
  readonly size: number;
}
interface Packed {
  readonly filename: string;
  readonly size: number;
  readonly files: readonly PackedFile[];
}

async function npm(args: readonly string[], cwd: string, timeout = 120_000): Promise<string> {
  const { stdout } = await run('npm', args, { cwd, timeout, maxBuffer: 16 * 1024 * 1024, env: childEnv({}) });
  return stdout;
}

async function pack(dir: string, destination: string): Promise<Packed> {
  const out = await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', destination], dir);
  return (JSON.parse(out) as Packed[])[0]!;
}

function emptyProject(dir: string): string {
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'user-app', private: true, type: 'module' }));
  return dir;
}

/** True when no process of the group `pgid` is left. */
function groupGone(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return false;
  } catch {
    return true;
  }
}

async function node(script: string, args: readonly string[], cwd: string): Promise<string> {
  const { stdout } = await run(process.execPath, [script, ...args], { cwd, timeout: 30_000, env: childEnv({}) });
  return stdout;
}

/** Connects with the installed client, publishes on `events` and reads it back; prints JSON. */
const NODE_CLIENT_SCRIPT = `
import { NexusWebSocket } from '@nexus-realtime/client';
import { ErrorCode } from '@nexus-realtime/client/protocol';
const httpUrl = process.argv[2];
if (!httpUrl) {
  console.log(JSON.stringify({ kind: typeof NexusWebSocket, state: new NexusWebSocket('ws://127.0.0.1:1/ws', 't').state, forbidden: ErrorCode.Forbidden }));
  process.exit(0);
}
const token = async () => {
  const res = await fetch(httpUrl + '/api/dev/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId: 'packaging', role: 'operator' }) });
  return (await res.json()).token;
};
const client = new NexusWebSocket(httpUrl.replace('http', 'ws') + '/ws', token);
const timer = setTimeout(() => { console.log(JSON.stringify({ error: 'timeout', state: client.state })); process.exit(1); }, 10000);
client.on('connected', async ({ userId }) => {
  const received = new Promise((resolve) => client.on('events', (data) => resolve(data)));
  const subscribed = await client.subscribe('events');
  const ack = await client.publish('events', { hello: 'from a user' });
  const data = await received;
  clearTimeout(timer);
  client.disconnect();
  console.log(JSON.stringify({ userId, subscribed: subscribed.ok, ack: ack.ok, data, state: client.state }));
});
client.connect();
`;

const TYPESCRIPT_USER = `
import { NexusWebSocket, type ConnectionState, type PublishResult } from '@nexus-realtime/client';
const client = new NexusWebSocket('wss://nexus.example.com/ws', async () => 'token', { maxDelayMs: 30_000 });
const state: ConnectionState = client.state;
const off = client.on('connected', ({ userId, role }) => console.log(userId, role, state));
client.on('telemetry', (data, frame) => console.log(data, frame.seq));
const published: Promise<PublishResult> = client.publish('events', { x: 1 });
void published;
off();
client.connect();
`;

describe('npm pack: the client and the server as a user installs them', () => {
  let work: string;
  let client: Packed;
  let main: Packed;
  let server: ChildProcess | undefined;

  beforeAll(async () => {
    for (const built of [
      'packages/client/dist/index.js',
      'dist/index.js',
      'dist/server/main.js',
      'dist/app/index.html',
    ])
      if (!existsSync(join(ROOT, built))) throw new Error(`${built} is missing: run \`npm run build\` first`);
    work = mkdtempSync(join(tmpdir(), 'nexus-packaging-'));
    // The client as it is published (its prepack step leaves out the source condition), staged in a
    // folder of its own so the repository's package.json is never rewritten under other tests.
    const staged = join(work, 'client-staged');
    await run(process.execPath, [join(CLIENT_DIR, 'scripts', 'publish-manifest.mjs'), 'stage', staged]);
    client = await pack(staged, work);
    main = await pack(ROOT, work);
  }, 120_000);

  afterAll(() => {
    // The server's process group: npx and the node process it started.
    if (server?.pid !== undefined && !groupGone(server.pid)) process.kill(-server.pid, 'SIGKILL');
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('the client tarball holds the built ESM and type declarations, and nothing else', () => {
    const paths = client.files.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['package.json', 'dist/index.js', 'dist/index.d.ts']));
    expect(paths).toEqual(expect.arrayContaining(['dist/node/index.js', 'dist/protocol/index.js']));
    const others = paths.filter((p) => !p.startsWith('dist/'));
    expect(others.sort()).toEqual(['LICENSE', 'README.md', 'package.json']);
    expect(paths.filter((p) => /\.test\.|\.map$|\.ts$/.test(p) && !p.endsWith('.d.ts'))).toEqual([]);
  });

  it('the published client manifest has no source condition and takes its dependencies as ranges', () => {
    const manifest = readFileSync(join(work, 'client-staged', 'package.json'), 'utf8');
    expect(manifest).not.toContain('nexus-source');
    const { dependencies } = JSON.parse(manifest) as { dependencies: Record<string, string> };
    expect(Object.keys(dependencies).sort()).toEqual(['ws', 'zod']);
    for (const range of Object.values(dependencies)) expect(range).toMatch(/^\^\d/);
  });

  it('the main tarball holds the built server, mock agents, dashboard and docs, without tests or benchmarks', () => {
    const paths = main.files.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'dist/server/main.js', 'dist/app/index.html']),
    );
    expect(paths).toEqual(expect.arrayContaining(['dist/client.js', 'docs/protocol.md', 'docs/client.md', 'LICENSE']));
    expect(paths.filter((p) => /(^|\/)(bench|e2e|test|scripts|src|packages)\//.test(p))).toEqual([]);
    expect(paths.filter((p) => /\.test\.|\.map$/.test(p))).toEqual([]);
    expect(readFileSync(join(ROOT, 'dist/server/main.js'), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('the client installs alone, without any server dependency, and works in Node and for TypeScript', async () => {
    const app = emptyProject(join(work, 'client-only'));
    await npm(['install', join(work, client.filename), ...NPM_FLAGS], app);
    const installed = readdirSync(join(app, 'node_modules')).filter((name) => !name.startsWith('.'));
    for (const dependency of SERVER_DEPENDENCIES) expect(installed).not.toContain(dependency);
    expect(installed.sort()).toEqual(['@nexus-realtime', 'ws', 'zod']);

    writeFileSync(join(app, 'check.mjs'), NODE_CLIENT_SCRIPT);
    expect(JSON.parse(await node('check.mjs', [], app))).toEqual({
      kind: 'function',
      state: 'idle',
      forbidden: 'forbidden',
    });

    writeFileSync(join(app, 'user.ts'), TYPESCRIPT_USER);
    const compilerOptions = {
      noEmit: true,
      strict: true,
      module: 'nodenext',
      target: 'es2022',
      lib: ['es2022', 'dom'],
      types: [],
    };
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['user.ts'] }));
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    await run(process.execPath, [tsc, '-p', '.'], { cwd: app, timeout: 60_000 });
  }, 120_000);

  it('the client bundles for the browser with no Node module, within 10 KB min+gzip', async () => {
    const app = join(work, 'client-only');
    // @ts-expect-error: a plain ESM script of the repository, without type declarations.
    const { measureBrowserBundle, BUDGET_BYTES } = (await import('../scripts/bundle-size.mjs')) as {
      measureBrowserBundle: (
        code: string,
        options: { fromDir: string },
      ) => Promise<{ minified: number; gzipped: number; nodeImports: string[]; hasZod: boolean }>;
      BUDGET_BYTES: number;
    };
    const result = await measureBrowserBundle(
      "import { NexusWebSocket } from '@nexus-realtime/client';\nglobalThis.NexusWebSocket = NexusWebSocket;\n",
      { fromDir: app },
    );
    expect(result.nodeImports).toEqual([]);
    expect(result.hasZod).toBe(false);
    expect(result.gzipped).toBeLessThanOrEqual(BUDGET_BYTES);
  }, 60_000);

  it('npx nexus-realtime runs the server from the installed package; the installed client talks to it', async () => {
    const app = emptyProject(join(work, 'server'));
    await npm(['install', join(work, client.filename), join(work, main.filename), ...NPM_FLAGS], app);

    const embedded = `import { createNexusServer, loadConfig } from 'nexus-realtime';\nconsole.log(typeof createNexusServer, typeof loadConfig);\n`;
    writeFileSync(join(app, 'embed.mjs'), embedded);
    expect((await node('embed.mjs', [], app)).trim()).toBe('function function');

    const child = spawn('npx', ['--no-install', 'nexus-realtime'], {
      cwd: app,
      env: childEnv({ PORT: '0', HOST: '127.0.0.1' }),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    server = child;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));

    const listening = () => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
    expect(await pollUntil(() => listening() !== undefined || child.exitCode !== null, 20_000), stderr).toBe(true);
    const url = listening()!;
    // The first line is the listening line (JSON here: stdout is not a terminal).
    expect(JSON.parse(stdout.split('\n')[0]!)).toMatchObject({ msg: `listening on ${url}` });

    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    const dashboard = await fetch(`${url}/`);
    expect(await dashboard.text()).toContain('<div id="root">');

    const roundTrip = JSON.parse(await node('check.mjs', [url], join(work, 'client-only'))) as Record<string, unknown>;
    expect(roundTrip).toEqual({
      userId: 'packaging',
      subscribed: true,
      ack: true,
      data: { hello: 'from a user' },
      state: 'closed',
    });

    // SIGTERM to the process group (npx and the server), as a service manager would: the server
    // shuts down cleanly (npx itself just ends on the signal) and nothing is left running.
    process.kill(-child.pid!, 'SIGTERM');
    const stopped = await pollUntil(() => /"msg":"stopped"/.test(stdout) && groupGone(child.pid!), 15_000);
    expect(stopped, `stdout: ${stdout}\nstderr: ${stderr}`).toBe(true);
    await exited;
  }, 180_000);
});
