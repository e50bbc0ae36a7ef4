// Lint: TypeScript rules plus the import boundaries of the architecture:
//   protocol ← client core ← {app, client node adapter ← mock}, protocol ← server;
//   the app never imports the server; only auth.ts imports jose, only the Redis implementations
//   (src/server/broker/redis*.ts, src/server/state/redis*.ts) import ioredis; the dashboard's Web
//   Worker (src/app/worker) never imports the page's features, stores, hooks or components. The direction inside
//   the server (connection → fanout → broker, domain → state) is checked by test/architecture.test.ts.
// The client and its protocol live in the @nexus-realtime/client workspace (packages/client).
// TypeScript files are linted with types (the project service finds each file's tsconfig.json:
// the root one, src/app/tsconfig.json → tsconfig.app.json, e2e/tsconfig.json → tsconfig.e2e.json);
// the plain .js/.mjs scripts and benchmarks are linted without.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import reactHooks from 'eslint-plugin-react-hooks';

const area = (name, label = `src/${name}`) => ({
  group: [`**/${name}/**`, `../${name}`, `../../${name}`],
  message: `do not import ${label} from here: imports flow protocol ← client ← {app, mock}, protocol ← server`,
});
const only = (pkg, owner) => ({ name: pkg, message: `only ${owner} imports ${pkg}` });
const REDIS_FILES = ['src/server/broker/redis*.ts', 'src/server/state/redis*.ts'];
const onlyRedis = only('ioredis', 'src/server/broker/redis*.ts and src/server/state/redis*.ts');
const clientPackage = {
  name: '@nexus-realtime/client',
  message: 'the server uses only the protocol of the client package: import @nexus-realtime/client/protocol',
};

export default tseslint.config(
  {
    ignores: ['**/dist/', 'node_modules/', 'bench/results/', 'test-results/', 'playwright-report/'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    files: ['**/*.{ts,tsx,mts,cts}'],
    languageOptions: {
      parserOptions: {
        projectService: {
          // In tsconfig.e2e.json, but no tsconfig.json above it includes it.
          allowDefaultProject: ['playwright.config.ts'],
          defaultProject: 'tsconfig.e2e.json',
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/require-await': 'error',
    },
  },
  {
    files: ['**/*.{js,mjs,cjs}'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { paths: [only('jose', 'src/server/auth.ts'), onlyRedis] }],
    },
  },
  {
    files: ['src/server/auth.ts', ...REDIS_FILES, 'test/**', '**/*.test.ts', 'bench/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['packages/client/src/protocol/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['../*'], message: 'the protocol is the innermost layer: it imports nothing of the client' },
            area('server'),
            area('app'),
            area('mock'),
            {
              group: ['node:*', 'ws', 'express', 'react', 'react-dom'],
              message: 'the protocol is pure: no I/O, no Node or DOM APIs',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/client/src/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            area('server'),
            area('app'),
            area('mock'),
            { group: ['./node/*', './node'], message: 'the client core never imports its Node adapter' },
            {
              group: ['node:*', 'ws'],
              message: 'the client core runs in browsers too: inject platform pieces (src/node does it for Node)',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/client/src/node/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [area('server'), area('app'), area('mock')] }] },
  },
  {
    files: ['src/server/**/*.ts'],
    ignores: ['**/*.test.ts', 'src/server/auth.ts', ...REDIS_FILES],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [only('jose', 'src/server/auth.ts'), onlyRedis, clientPackage],
          patterns: [area('app'), area('mock')],
        },
      ],
    },
  },
  {
    // The Redis implementations: ioredis allowed, every other server rule kept.
    files: REDIS_FILES,
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [only('jose', 'src/server/auth.ts'), clientPackage], patterns: [area('app'), area('mock')] },
      ],
    },
  },
  {
    files: ['src/mock/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [area('server'), area('app')] }] },
  },
  {
    // Benchmarks run code inside the page too (page.evaluate, addInitScript).
    files: ['bench/**'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
  {
    files: ['src/app/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'no-restricted-imports': ['error', { patterns: [area('server'), area('mock')] }],
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
    },
  },
  {
    // The Web Worker side: socket, parsing, ring buffers, chart preparation. It shares only
    // src/app/lib with the page; features, stores, hooks and components are the page's.
    files: ['src/app/worker/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            area('server'),
            area('mock'),
            ...['features', 'store', 'hooks', 'components'].map((name) => ({
              group: [`**/${name}/**`, `../${name}`, `../../${name}`],
              message: `the worker never imports src/app/${name}: move what both sides need to src/app/lib or the worker`,
            })),
            { group: ['react', 'react-dom', 'zustand', '@tanstack/*'], message: 'the worker has no UI' },
          ],
        },
      ],
    },
  },
);
