/**
 * The dashboard never shows stale state as live, and comes back fast. Each test drives the real
 * server (a child process it stops with SIGTERM, which closes every WebSocket with 1012, and
 * starts again on the same port) and looks at the page the way a person does.
 */
import { expect, test } from '@playwright/test';
import { startNexus, type NexusProcess } from './helpers/nexus-process.js';
import {
  chartLines,
  devToken,
  lineShapes,
  restGet,
  restPublish,
  subscriptionStatuses,
  openDashboard,
} from './helpers/dashboard.js';

const ENV = { NEXUS_MOCK_INTERVAL_MS: '500' };
const CPU_CHART = 'CPU usage (%) chart';
let server: NexusProcess;

test.beforeAll(async () => {
  server = await startNexus(0, ENV);
});
test.afterAll(async () => {
  expect(await server.stop()).toBe(0);
});

async function restart(outageMs: number): Promise<number> {
  expect(await server.stop()).toBe(0);
  await new Promise((resolve) => setTimeout(resolve, outageMs));
  server = await startNexus(server.port, ENV);
  return Date.now(); // the server answers from here on ("listening" was printed)
}

test('charts are drawn from history within 2 s of opening, then go on live', async ({ page }, testInfo) => {
  // The server has kept several seconds of telemetry before the page opens.
  await new Promise((resolve) => setTimeout(resolve, 6_000));
  const history = page.waitForResponse((res) => res.url().includes('/api/channels/telemetry/history'));
  const openedAt = Date.now();
  await page.goto(server.url);
  const lines = chartLines(page, CPU_CHART);
  // Lines, not single dots (the 5-minute window has buckets of ≈ 4 s: 6 s of history is 2–3 points).
  await expect
    .poll(async () => (await lineShapes(lines)).filter((l) => l.points >= 2).length, {
      timeout: 2_000,
      intervals: [50],
    })
    .toBe(5);
  const drawnMs = Date.now() - openedAt;
  testInfo.annotations.push({ type: 'history-drawn-ms', description: String(drawnMs) });
  expect(drawnMs).toBeLessThanOrEqual(2_000);
  // The socket, parsing and chart preparation run in the page's Web Worker.
  expect(page.workers().map((w) => w.url())).toEqual([expect.stringMatching(/\/assets\/worker-[\w-]+\.js$/)]);
  const body = (await (await history).json()) as { messages: { timestamp: string }[] };
  expect(body.messages.length).toBeGreaterThanOrEqual(40);
  expect(Date.parse(body.messages[0]!.timestamp)).toBeLessThan(openedAt - 4_000);
  // Live points follow: the legend's values change.
  const legend = page.getByRole('list', { name: 'Current CPU usage (%)' });
  const before = await legend.textContent();
  await expect.poll(() => legend.textContent(), { timeout: 10_000 }).not.toBe(before);
  // One 24-hour HH:MM:SS format: axis ticks and log times alike.
  const ticks = await page.locator('.recharts-cartesian-axis-tick-value').allTextContents();
  const times = ticks.filter((t) => t.includes(':'));
  expect(times.length).toBeGreaterThan(0);
  for (const t of times) expect(t).toMatch(/^\d\d:\d\d:\d\d$/);
  await page.screenshot({ path: testInfo.outputPath('live.png') });
});

test('an outage: agents not online, subscriptions pending, Reconnect now; open within 3 s of the server answering; a break in the lines', async ({
  page,
}, testInfo) => {
  await openDashboard(page, server.url);
  const status = page.getByRole('status').first();
  const agents = page.getByRole('region', { name: 'Agents' });
  await expect(agents).toContainText(/5 of 5 online/, { timeout: 10_000 });
  await expect.poll(() => subscriptionStatuses(page)).toEqual(['active', 'active', 'active', 'active']);
  await expect(page.getByRole('button', { name: 'Reconnect now' })).toHaveCount(0);

  expect(await server.stop()).toBe(0);
  await expect(status).toContainText('reconnecting', { timeout: 5_000 });
  await expect(agents).not.toContainText(/\bonline\b/);
  await expect(agents).toContainText('unknown while disconnected');
  await expect.poll(() => subscriptionStatuses(page)).toEqual(['pending', 'pending', 'pending', 'pending']);
  await expect(page.getByRole('button', { name: 'Reconnect now' })).toBeVisible();
  // The backoff grows past 3 s while the server is down (attempts at 0.5, 1, 2, 4, 8 s …).
  await new Promise((resolve) => setTimeout(resolve, 11_000));
  await page.screenshot({ path: testInfo.outputPath('outage.png') });

  server = await startNexus(server.port, ENV);
  const answeringAt = Date.now();
  await expect(status).toContainText('open', { timeout: 3_000 });
  const backMs = Date.now() - answeringAt;
  testInfo.annotations.push({ type: 'open-after-server-answered-ms', description: String(backMs) });
  expect(backMs).toBeLessThanOrEqual(3_000);
  await expect.poll(() => subscriptionStatuses(page)).toEqual(['active', 'active', 'active', 'active']);
  await expect(agents).toContainText(/5 of 5 online/, { timeout: 10_000 });

  // New points after the outage: every line has two segments with a gap between them.
  const lines = chartLines(page, CPU_CHART);
  await expect
    .poll(async () => (await lineShapes(lines)).filter((l) => l.segments >= 2).length, { timeout: 15_000 })
    .toBeGreaterThanOrEqual(5);
  await page.screenshot({ path: testInfo.outputPath('after-outage.png') });
});

test('Reconnect now skips the backoff wait', async ({ page }) => {
  await openDashboard(page, server.url);
  const status = page.getByRole('status').first();
  expect(await server.stop()).toBe(0);
  await expect(status).toContainText('reconnecting', { timeout: 5_000 });
  await page.getByRole('button', { name: 'Reconnect now' }).click();
  // The server is still down: a new attempt was made at once.
  await expect(status).toContainText(/attempt [2-9]/, { timeout: 2_000 });
  server = await startNexus(server.port, ENV);
  await page.getByRole('button', { name: 'Reconnect now' }).click();
  await expect(status).toContainText('open', { timeout: 3_000 });
});

test('a task running when the server restarts: the board shows what /api/tasks says afterwards', async ({
  page,
}, testInfo) => {
  await openDashboard(page, server.url);
  const token = await devToken(server.url);
  const taskId = `task_restart_${Date.now()}`;
  await restPublish(server.url, token, 'commands', {
    command: 'execute_task',
    task_id: taskId,
    agent_id: 'agent_001',
    params: { duration_ms: 60_000 },
  });
  const tasks = page.getByRole('table', { name: 'Tasks' });
  const row = tasks.getByRole('row').filter({ hasText: taskId });
  await expect(row).toContainText(/queued|running/, { timeout: 10_000 });

  await restart(500);
  await expect(page.getByRole('status').first()).toContainText('open', { timeout: 5_000 });
  const truth = await restGet<{ task_id: string; status: string }[]>(
    server.url,
    '/api/tasks?limit=1000',
    await devToken(server.url),
  );
  const known = truth.find((t) => t.task_id === taskId);
  if (known) await expect(row).toContainText(known.status, { timeout: 5_000 });
  else await expect(row).toHaveCount(0, { timeout: 5_000 });
  await page.screenshot({ path: testInfo.outputPath('tasks-after-restart.png') });
});

test('a reconnect (the server restarted, tasks not recovered) loads the tasks again', async ({ page }) => {
  await openDashboard(page, server.url);
  const tasksLoaded = page.waitForRequest((req) => req.url().includes('/api/tasks'), { timeout: 10_000 });
  await restart(200);
  await tasksLoaded;
});

test('dark theme: the live page and an outage', async ({ browser }, testInfo) => {
  const context = await browser.newContext({ colorScheme: 'dark', viewport: { width: 1920, height: 1080 } });
  const page = await context.newPage();
  await openDashboard(page, server.url);
  await expect.poll(async () => (await lineShapes(chartLines(page, CPU_CHART))).length, { timeout: 10_000 }).toBe(5);
  await page.screenshot({ path: testInfo.outputPath('dark-live.png') });
  expect(await server.stop()).toBe(0);
  await expect(page.getByRole('status').first()).toContainText('reconnecting', { timeout: 5_000 });
  await page.screenshot({ path: testInfo.outputPath('dark-outage.png') });
  server = await startNexus(server.port, ENV);
  await expect(page.getByRole('status').first()).toContainText('open', { timeout: 3_000 });
  await context.close();
});
