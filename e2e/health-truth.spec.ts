/**
 * What `/healthz` says reaches the page, and only what it says:
 * - a `/healthz` that answers an HTML 502 page (a proxy, or the dev proxy while the server
 *   restarts) does not make the page decide "production mode, paste a token": it asks again, and
 *   finds dev mode once the server's JSON comes;
 * - with Redis stopped under an open page, a banner names the outage and agents read `unknown`;
 *   Redis back, the banner goes and agents are online again.
 */
import { expect, test } from '@playwright/test';
import { startHealthProxy, type HealthProxy } from './helpers/health-proxy.js';
import { startNexus, type NexusProcess } from './helpers/nexus-process.js';
import { startRedis, type RedisProcess } from './helpers/redis-process.js';

test.describe('a /healthz that is not JSON decides nothing', () => {
  let server: NexusProcess;
  let proxy: HealthProxy;
  test.beforeAll(async () => {
    server = await startNexus(0, { NEXUS_MOCK_AGENTS: '2', NEXUS_MOCK_INTERVAL_MS: '500' });
    proxy = await startHealthProxy(server.port);
  });
  test.afterAll(async () => {
    await proxy.close();
    expect(await server.stop()).toBe(0);
  });

  test('HTML 502 while the page loads, then JSON: dev mode is found, no token is asked for', async ({ page }) => {
    proxy.htmlHealth = true;
    await page.goto(proxy.url);
    const status = page.getByRole('status').first();
    // The page keeps asking while /healthz answers HTML …
    await expect.poll(() => proxy.healthRequests.html, { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
    await expect(page.getByRole('dialog', { name: 'Sign in to Nexus' })).toHaveCount(0);
    await expect(status).not.toContainText('open');
    // … and decides once the server's JSON comes: dev mode, connected as an operator.
    proxy.htmlHealth = false;
    await expect(status).toContainText('open', { timeout: 15_000 });
    await expect(page.getByText(/\(operator\) · dev/)).toBeVisible();
    await expect(page.getByRole('dialog', { name: 'Sign in to Nexus' })).toHaveCount(0);
  });
});

test.describe('a Redis outage shows on the page', () => {
  let redis: RedisProcess;
  let server: NexusProcess;
  test.beforeAll(async () => {
    redis = await startRedis();
    server = await startNexus(0, {
      NEXUS_REDIS_URL: redis.url,
      NEXUS_MOCK_AGENTS: '3',
      NEXUS_MOCK_INTERVAL_MS: '500',
    });
  });
  test.afterAll(async () => {
    expect(await server.stop()).toBe(0);
    await redis.stop();
  });

  test('Redis stopped: a banner names it and agents read unknown; Redis back: both clear', async ({
    page,
  }, testInfo) => {
    await page.goto(server.url);
    const status = page.getByRole('status').first();
    await expect(status).toContainText('open', { timeout: 15_000 });
    const agents = page.getByRole('region', { name: 'Agents' });
    await expect(agents).toContainText(/3 of 3 online/, { timeout: 15_000 });
    const banner = page.getByRole('alert', { name: 'Redis outage' });
    await expect(banner).toHaveCount(0);

    await redis.stop();
    await expect(banner).toContainText('Redis is down', { timeout: 15_000 });
    await expect(agents).toContainText('unknown while Redis is down');
    await expect(agents).not.toContainText(/\bonline\b/);
    await expect(agents).not.toContainText(/\boffline\b/);
    await page.screenshot({ path: testInfo.outputPath('redis-down.png') });

    await redis.start();
    await expect(banner).toHaveCount(0, { timeout: 30_000 });
    await expect(agents).toContainText(/3 of 3 online/, { timeout: 15_000 });
  });
});
