import { expect, test, type Page } from '@playwright/test';
import { openDashboard } from './helpers/dashboard.js';
import { startNexus, type NexusProcess } from './helpers/nexus-process.js';

let server: NexusProcess;

test.beforeAll(async () => {
  server = await startNexus(0, { NEXUS_MOCK_INTERVAL_MS: '500' });
});
test.afterAll(async () => {
  expect(await server.stop()).toBe(0);
});

/** Number of drawn line paths in the telemetry charts. */
function linePaths(page: Page) {
  return page.getByRole('region', { name: 'Telemetry' }).locator('path.series-line');
}

test('connects by itself in dev mode and draws live telemetry', async ({ page }, testInfo) => {
  await openDashboard(page, server.url);
  const telemetry = page.getByRole('region', { name: 'Telemetry' });
  await expect(telemetry.getByRole('figure', { name: 'CPU usage (%) chart' })).toBeVisible({ timeout: 10_000 });
  await expect.poll(() => linePaths(page).count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(5);
  await expect(telemetry.getByRole('list', { name: 'Current CPU usage (%)' })).toContainText('agent_005');
  await expect(page.getByRole('region', { name: 'Agents' })).toContainText('agent_003');
  await page.screenshot({ path: testInfo.outputPath('dashboard-live.png'), fullPage: false });
  for (const viewport of [
    { width: 1280, height: 720 },
    { width: 1920, height: 1080 },
  ]) {
    await page.setViewportSize(viewport);
    const overflowPx = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflowPx, `horizontal overflow at ${viewport.width}×${viewport.height}`).toBeLessThanOrEqual(0);
  }
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.screenshot({ path: testInfo.outputPath('dashboard-1280.png') });
});

test('follows the system dark theme', async ({ browser }, testInfo) => {
  const context = await browser.newContext({ colorScheme: 'dark', viewport: { width: 1920, height: 1080 } });
  const page = await context.newPage();
  await openDashboard(page, server.url);
  const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  expect(background).toBe('rgb(15, 18, 22)');
  await page.screenshot({ path: testInfo.outputPath('dashboard-dark.png') });
  await context.close();
});

test('a task sent from the console reaches a final status in the Tasks table', async ({ page }, testInfo) => {
  await openDashboard(page, server.url);
  const channel = page.getByRole('textbox', { name: 'Channel', exact: true });
  const payload = page.getByRole('textbox', { name: 'Payload', exact: true });
  const send = page.getByRole('button', { name: 'Send', exact: true });

  await channel.fill('commands');
  await payload.fill('{"command": "execute_task", ');
  await expect(send).toBeDisabled();

  await page.getByRole('button', { name: 'execute_task' }).click();
  const taskId = (JSON.parse(await payload.inputValue()) as { task_id: string }).task_id;
  await expect(send).toBeEnabled();
  await send.click();
  await expect(page.getByText(/ack seq \d+/)).toBeVisible();

  const row = page.getByRole('table', { name: 'Tasks' }).getByRole('row').filter({ hasText: taskId });
  await expect(row).toBeVisible({ timeout: 10_000 });
  await expect(row).toContainText(/succeeded|failed/, { timeout: 40_000 });
  await page.screenshot({ path: testInfo.outputPath('task-finished.png') });
});

test('the server restarts: reconnecting, then open, and the charts go on', async ({ page }, testInfo) => {
  await openDashboard(page, server.url);
  await expect.poll(() => linePaths(page).count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(5);
  const status = page.getByRole('status').first();

  expect(await server.stop()).toBe(0);
  await expect(status).toContainText('reconnecting', { timeout: 10_000 });
  await page.screenshot({ path: testInfo.outputPath('reconnecting.png') });
  server = await startNexus(server.port, { NEXUS_MOCK_INTERVAL_MS: '500' });
  await expect(status).toContainText('open', { timeout: 40_000 });

  // Data from before the restart is kept and new points keep arriving after it.
  const legend = page.getByRole('list', { name: 'Current CPU usage (%)' });
  const before = await legend.textContent();
  await expect.poll(async () => legend.textContent(), { timeout: 10_000 }).not.toBe(before);
  await expect.poll(() => linePaths(page).count()).toBeGreaterThanOrEqual(5);
  await page.screenshot({ path: testInfo.outputPath('after-restart.png') });
});
