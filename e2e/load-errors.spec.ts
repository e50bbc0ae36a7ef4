/**
 * A failed load reads as a sentence, never the browser's "Failed to fetch": the server stopped
 * (agents), a network failure and an HTTP error (tasks); and the load is retried by itself.
 */
import { expect, test } from '@playwright/test';
import { openDashboard } from './helpers/dashboard.js';
import { startNexus, type NexusProcess } from './helpers/nexus-process.js';

const ENV = { NEXUS_MOCK_AGENTS: '2', NEXUS_MOCK_INTERVAL_MS: '500' };
let server: NexusProcess;

test.beforeAll(async () => {
  server = await startNexus(0, ENV);
});
test.afterAll(async () => {
  expect(await server.stop()).toBe(0);
});

const isTasksList = (url: URL) => url.pathname === '/api/tasks';

test('tasks: a network failure and an HTTP error read as sentences, and the load is retried', async ({ page }) => {
  await page.route(isTasksList, (route) => route.abort('connectionrefused'));
  await openDashboard(page, server.url);
  const tasks = page.getByRole('region', { name: 'Tasks' });
  await expect(tasks.getByRole('alert')).toHaveText(/Could not load tasks: the server did not answer; retrying/, {
    timeout: 15_000,
  });
  await expect(tasks).not.toContainText('Failed to fetch');

  await page.unroute(isTasksList);
  await page.route(isTasksList, (route) =>
    route.fulfill({
      status: 503,
      contentType: 'application/json',
      body: JSON.stringify({ error: { code: 'unavailable', message: 'Redis is down' } }),
    }),
  );
  await tasks.getByRole('button', { name: 'Retry' }).click();
  await expect(tasks.getByRole('alert')).toContainText(
    'Could not load tasks: the server answered HTTP 503: Redis is down; retrying',
    { timeout: 15_000 },
  );

  // The server answers again: the next automatic retry loads the list, no click needed.
  await page.unroute(isTasksList);
  await expect(tasks.getByRole('alert')).toHaveCount(0, { timeout: 15_000 });
});

test('agents: with the server stopped the panel says it did not answer, and recovers when it is back', async ({
  page,
}, testInfo) => {
  await openDashboard(page, server.url);
  const agents = page.getByRole('region', { name: 'Agents' });
  await expect(agents).toContainText(/2 of 2 online/, { timeout: 15_000 });

  expect(await server.stop()).toBe(0);
  // The list is polled every 10 s, and a failed poll is tried twice more before it is shown.
  const error = agents.getByRole('alert');
  await expect(error).toHaveText(/Could not load agents: the server did not answer; retrying/, { timeout: 25_000 });
  await expect(agents).not.toContainText('Failed to fetch');
  await page.screenshot({ path: testInfo.outputPath('agents-load-error.png') });

  server = await startNexus(server.port, ENV);
  await expect(error).toHaveCount(0, { timeout: 20_000 });
  await expect(agents).toContainText(/2 of 2 online/, { timeout: 15_000 });
});
