import { existsSync } from 'node:fs';
import { defineConfig } from '@playwright/test';

// Debian's chromium, never a downloaded browser (none can be downloaded here).
const CHROMIUM = process.env.NEXUS_CHROMIUM ?? '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) {
  throw new Error(
    `Chromium not found at ${CHROMIUM}: run "apt-get install -y chromium" (scripts/system-deps.sh does it)`,
  );
}
if (!existsSync('dist/server/main.js') || !existsSync('dist/app/index.html')) {
  throw new Error('The build is missing: run "npm run build" before the browser tests (npm run test:all does it)');
}

// The specs start and restart the real server themselves (e2e/helpers/nexus-process.ts).
export default defineConfig({
  testDir: 'e2e',
  timeout: 90_000,
  fullyParallel: false,
  workers: 1,
  retries: 0,
  outputDir: 'test-results/e2e',
  use: {
    viewport: { width: 1920, height: 1080 },
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
});
