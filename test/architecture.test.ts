/**
 * The import rules that ESLint's per-folder restrictions do not cover: no import cycles anywhere
 * in src/ or the client package, dashboard features never import each other, the dashboard's
 * Web Worker never imports page code (features, stores, hooks, components), and inside the
 * server each folder imports only the folders below it (connection → fanout → broker, domain →
 * state), through their index.ts, and only the composition root tells brokers or stores apart.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SERVER = join(ROOT, 'src', 'server');
const SOURCE_ROOTS = [join(ROOT, 'src'), join(ROOT, 'packages', 'client', 'src')];
// `import … from 'x'`, `export … from 'x'`, `import 'x'` and `import('x')`.
const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*\(?\s*['"]([^'"]+)['"]/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

function resolveImport(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = resolve(dirname(from), specifier).replace(/\.js$/, '');
  for (const candidate of [`${base}.ts`, `${base}.tsx`, join(base, 'index.ts')]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // try the next form
    }
  }
  return undefined;
}

function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of SOURCE_ROOTS.flatMap(sourceFiles)) {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(IMPORT)]
      .map((m) => resolveImport(file, m[1] ?? m[2]!))
      .filter((t): t is string => t !== undefined);
    graph.set(file, targets);
  }
  return graph;
}

function findCycles(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'visiting');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'visiting') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return cycles;
}

/**
 * The folders of src/server and the folders each may import. Anything not listed may not be
 * imported; files at the server's root (auth, logger, metrics, policy…) may be, except the
 * composition root itself.
 */
const SERVER_LAYERS: Readonly<Record<string, readonly string[]>> = {
  state: [],
  deflate: [],
  broker: ['state'],
  fanout: ['broker'],
  domain: ['broker', 'state'],
  connection: ['fanout', 'broker', 'deflate', 'domain'],
  admin: ['connection', 'fanout', 'broker', 'state'],
  http: ['admin', 'domain', 'broker'],
};
const COMPOSITION_ROOT = ['server.ts', 'main.ts'];

/** The server folder a file belongs to; undefined for files at the server's root and outside it. */
function serverFolderOf(file: string): string | undefined {
  const path = relative(SERVER, file);
  return path.startsWith('..') || !path.includes('/') ? undefined : path.split('/')[0];
}

/** Imports inside src/server that go against SERVER_LAYERS or reach into another folder's files. */
function serverImportProblems(graph: Map<string, string[]>): string[] {
  const problems: string[] = [];
  for (const [file, targets] of graph) {
    const own = serverFolderOf(file);
    if (own === undefined) continue;
    for (const target of targets) {
      if (relative(SERVER, target).startsWith('..')) continue;
      const other = serverFolderOf(target);
      const edge = `${relative(ROOT, file)} → ${relative(ROOT, target)}`;
      if (other === undefined) {
        if (COMPOSITION_ROOT.includes(relative(SERVER, target))) problems.push(`${edge}: the composition root`);
      } else if (other !== own) {
        if (!(SERVER_LAYERS[own] ?? []).includes(other)) problems.push(`${edge}: ${own} may not import ${other}`);
        else if (relative(join(SERVER, other), target) !== 'index.ts')
          problems.push(`${edge}: import ${other}/index.ts`);
      }
    }
  }
  return problems;
}

const APP = join(ROOT, 'src', 'app');
const PAGE_ONLY = ['features', 'store', 'hooks', 'components'];

/** Imports from the dashboard's Web Worker (src/app/worker) into code that belongs to the page. */
function workerImportProblems(graph: Map<string, string[]>): string[] {
  const problems: string[] = [];
  for (const [file, targets] of graph) {
    if (!relative(APP, file).startsWith('worker/')) continue;
    for (const target of targets) {
      const top = relative(APP, target).split('/')[0]!;
      if (PAGE_ONLY.includes(top)) problems.push(`${relative(ROOT, file)} → ${relative(ROOT, target)}`);
    }
  }
  return problems;
}

/** `instanceof` of a broker or shared-state class in a server file other than the composition root. */
function implementationChecks(): string[] {
  const found: string[] = [];
  for (const file of sourceFiles(SERVER)) {
    if (COMPOSITION_ROOT.includes(relative(SERVER, file))) continue;
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/instanceof\s+(\w*(?:Broker|SharedState|Store))\b/g))
      found.push(`${relative(ROOT, file)}: instanceof ${match[1]}`);
  }
  return found;
}

describe('architecture', () => {
  const graph = importGraph();

  it('reads the source tree', () => {
    expect(graph.size).toBeGreaterThan(50);
  });

  it('has no import cycles', () => {
    const cycles = findCycles(graph).map((cycle) => cycle.map((file) => relative(ROOT, file)).join(' → '));
    expect(cycles).toEqual([]);
  });

  it('keeps dashboard features independent of each other', () => {
    const featureOf = (file: string) => /src\/app\/features\/([^/]+)\//.exec(file)?.[1];
    const crossings: string[] = [];
    for (const [file, targets] of graph) {
      const own = featureOf(file);
      for (const target of targets) {
        const other = featureOf(target);
        if (own && other && own !== other) crossings.push(`${relative(ROOT, file)} → ${relative(ROOT, target)}`);
      }
    }
    expect(crossings).toEqual([]);
  });

  it('keeps the dashboard worker free of page code: no feature, store, hook or component', () => {
    expect(workerImportProblems(graph)).toEqual([]);
  });

  it('finds a worker file importing a feature when there is one (the check can fail)', () => {
    const at = (path: string) => join(APP, path);
    const graph = new Map([
      [at('worker/worker-core.ts'), [at('features/telemetry/lib/chart-data.ts'), at('lib/colors.ts')]],
      [at('features/telemetry/components/metric-chart.tsx'), [at('worker/index.ts')]],
    ]);
    expect(workerImportProblems(graph)).toEqual([
      'src/app/worker/worker-core.ts → src/app/features/telemetry/lib/chart-data.ts',
    ]);
  });

  it('keeps the server layered: each folder imports only the folders below it, through their index.ts', () => {
    expect(serverImportProblems(graph)).toEqual([]);
  });

  it('tells brokers and shared-state implementations apart only in the composition root', () => {
    expect(implementationChecks()).toEqual([]);
  });

  it('finds a backward or deep import in the server when there is one (the check can fail)', () => {
    const at = (path: string) => join(SERVER, path);
    const graph = new Map([
      [at('broker/memory.ts'), [at('fanout/index.ts')]],
      [at('connection/session.ts'), [at('fanout/hub.ts'), at('server.ts')]],
      [at('fanout/hub.ts'), [at('broker/index.ts')]],
    ]);
    expect(serverImportProblems(graph)).toEqual([
      'src/server/broker/memory.ts → src/server/fanout/index.ts: broker may not import fanout',
      'src/server/connection/session.ts → src/server/fanout/hub.ts: import fanout/index.ts',
      'src/server/connection/session.ts → src/server/server.ts: the composition root',
    ]);
  });

  it('detects a cycle when there is one (the check can fail)', () => {
    expect(
      findCycles(
        new Map([
          ['a', ['b']],
          ['b', ['c']],
          ['c', ['a']],
        ]),
      ),
    ).toEqual([['a', 'b', 'c', 'a']]);
  });
});
