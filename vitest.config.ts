import { defineConfig } from 'vitest/config';

// Tests run against the client package's sources (its `nexus-source` export condition), so no
// build is needed first.
export default defineConfig({
  resolve: { conditions: ['nexus-source'] },
  ssr: { resolve: { conditions: ['nexus-source'] } },
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
  },
});
