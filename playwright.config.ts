import { existsSync } from 'node:fs';
import { defineConfig } from '@playwright/test';

// Debian's chromium, never a downloaded browser (none can be downloaded here).
const CHROMIUM = process.env.NEXUS_CHROMIUM ?? '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) {
  throw new Error(`Chromium not found at ${CHROMIUM}: run "apt-get install -y chromium" (scripts/system-deps.sh does it)`);
}
const PORT = Number(process.env.NEXUS_E2E_PORT ?? 48123);

export default defineConfig({
  testDir: 'e2e',
  timeout: 30_000,
  fullyParallel: false,
  workers: 1,
  retries: 0,
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    launchOptions: {
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
  webServer: {
    command: 'node dist/server/main.js',
    url: `http://127.0.0.1:${PORT}/healthz`,
    reuseExistingServer: false,
    timeout: 30_000,
    env: { PORT: String(PORT), HOST: '127.0.0.1', LOG_LEVEL: 'warn', NEXUS_MOCK_AGENTS: '0' },
  },
});
