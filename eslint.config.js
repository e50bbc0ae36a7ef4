// Lint: TypeScript rules plus the import boundaries of the design (protocol ← client ← {app, client-node ← mock},
// protocol ← server; app never imports server; only auth.ts imports jose, only broker/redis.ts ioredis).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

const area = (name) => ({
  group: [`**/${name}/**`, `../${name}`, `../../${name}`],
  message: `do not import src/${name} from here (see DESIGN.md §2)`,
});
const only = (pkg, owner) => ({ name: pkg, message: `only ${owner} imports ${pkg}` });

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'bench/results/', 'test-results/', 'playwright-report/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': [
        'error',
        { paths: [only('jose', 'src/server/auth.ts'), only('ioredis', 'src/server/broker/redis.ts')] },
      ],
    },
  },
  {
    files: ['src/server/auth.ts', 'src/server/broker/redis.ts', 'test/**', '**/*.test.ts', 'bench/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['src/protocol/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            area('client'),
            area('client-node'),
            area('server'),
            area('app'),
            area('mock'),
            {
              group: ['node:*', 'ws', 'express', 'react', 'react-dom'],
              message: 'src/protocol is pure: no I/O, no Node or DOM APIs',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/client/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            area('server'),
            area('app'),
            area('mock'),
            area('client-node'),
            {
              group: ['node:*', 'ws'],
              message: 'src/client runs in browsers too: inject platform pieces (src/client-node does it for Node)',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/client-node/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [area('server'), area('app'), area('mock')] }] },
  },
  {
    files: ['src/server/**/*.ts'],
    ignores: ['**/*.test.ts', 'src/server/auth.ts', 'src/server/broker/redis.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [only('jose', 'src/server/auth.ts'), only('ioredis', 'src/server/broker/redis.ts')],
          patterns: [area('app'), area('client'), area('client-node'), area('mock')],
        },
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
    rules: { 'no-restricted-imports': ['error', { patterns: [area('server'), area('mock'), area('client-node')] }] },
  },
);
