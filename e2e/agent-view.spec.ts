/**
 * An agent's own view and a task's timeline, driven as a person does against the real server and
 * its simulated agents: the view opened from the Agents list and from a copied link (its own
 * address, Back/Forward), its state and state changes, a chart per metric, a task run there and
 * its timeline (created by, reached the agent, each status), a task's timeline from the Tasks
 * table with who cancelled it, and the Tasks table as CSV.
 */
import { readFile } from 'node:fs/promises';
import { expect, test, type Page } from '@playwright/test';
import { devToken, openDashboard, restPublish } from './helpers/dashboard.js';
import { startNexus, type NexusProcess } from './helpers/nexus-process.js';

let server: NexusProcess;

test.beforeAll(async () => {
  server = await startNexus(0, { NEXUS_MOCK_AGENTS: '3', NEXUS_MOCK_INTERVAL_MS: '500' });
});
test.afterAll(async () => {
  expect(await server.stop()).toBe(0);
});

const agentView = (page: Page, agentId: string) => page.getByRole('region', { name: `Agent ${agentId}`, exact: true });
const agentsList = (page: Page) => page.getByRole('region', { name: 'Agents', exact: true });
const path = (page: Page) => new URL(page.url()).pathname;

test("an agent's view opens from the Agents list: its state, state changes and a chart per metric; Close and Back/Forward", async ({
  page,
}, testInfo) => {
  await openDashboard(page, server.url);
  const row = agentsList(page).getByRole('listitem').filter({ hasText: 'agent_002' });
  await expect(row).toContainText(/\bonline\b/, { timeout: 15_000 });
  await expect(row).toContainText(/since \d\d:\d\d:\d\d/);

  await agentsList(page).getByRole('link', { name: 'agent_002', exact: true }).click();
  const view = agentView(page, 'agent_002');
  await expect(view).toBeVisible();
  expect(path(page)).toBe('/agents/agent_002');
  await expect(view.locator('[data-agent-state]').first()).toHaveText('online', { timeout: 15_000 });
  await expect(view.getByRole('list', { name: 'State changes' }).getByRole('listitem').first()).toContainText('online');
  // Every metric the simulated agent reports gets a chart, each drawing this agent's line.
  const cpu = view.getByRole('figure', { name: 'CPU usage (%) chart' });
  await expect(cpu.locator('path.series-line')).toHaveCount(1, { timeout: 20_000 });
  await expect(cpu.locator('path.series-line')).toHaveAttribute('data-agent', 'agent_002');
  await expect.poll(() => view.getByRole('figure').count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(4);
  await page.screenshot({ path: testInfo.outputPath('agent-view.png'), fullPage: true });

  await view.getByRole('link', { name: 'Close' }).click();
  await expect(view).toHaveCount(0);
  expect(path(page)).toBe('/');
  await page.goBack();
  await expect(agentView(page, 'agent_002')).toBeVisible();
  expect(path(page)).toBe('/agents/agent_002');
  await page.goForward();
  await expect(agentView(page, 'agent_002')).toHaveCount(0);
});

test("a copied link opens the agent's view with the same range", async ({ page, context }) => {
  await openDashboard(page, `${server.url}/agents/agent_003?range=15m`);
  const view = agentView(page, 'agent_003');
  await expect(view).toBeVisible();
  await expect(view.getByRole('group', { name: 'Range' }).getByRole('button', { name: '15 min' })).toHaveAttribute(
    'aria-pressed',
    'true',
  );
  await expect(view.getByRole('figure', { name: 'CPU usage (%) chart' }).locator('path.series-line')).toHaveCount(1, {
    timeout: 20_000,
  });
  // The rest of the dashboard is still there, on the same range.
  await expect(page.getByRole('region', { name: 'Telemetry' })).toBeVisible();

  const other = await context.newPage();
  await openDashboard(other, page.url());
  await expect(agentView(other, 'agent_003')).toBeVisible();
  await other.close();
});

test('Run task in the view: the ack, then its timeline — created by this page, reached the agent, its statuses', async ({
  page,
}, testInfo) => {
  await openDashboard(page, `${server.url}/agents/agent_001`);
  const view = agentView(page, 'agent_001');
  const form = view.getByRole('form', { name: 'Run task' });
  await form.getByRole('textbox', { name: 'Script' }).fill('uptime');
  await form.getByRole('button', { name: 'Run task on agent_001' }).click();
  const sent = form.getByRole('list', { name: 'Sent to this agent' }).getByRole('listitem').first();
  await expect(sent).toContainText(/ack seq \d+/, { timeout: 10_000 });
  const taskId = /task_[0-9a-z]{10}/.exec((await sent.textContent()) ?? '')?.[0];
  expect(taskId).toBeDefined();

  // The task is listed with its timeline open under it.
  await expect(view.getByRole('button', { name: taskId })).toHaveAttribute('aria-expanded', 'true', {
    timeout: 10_000,
  });
  const timeline = view.getByRole('list', { name: `Timeline of ${taskId}` });
  await expect(timeline.getByRole('listitem').first()).toContainText(/created\s*by dashboard-/, { timeout: 10_000 });
  await expect(timeline).toContainText('reached the agent', { timeout: 15_000 });
  await expect(timeline).toContainText(/(running|succeeded|failed)\s*by agent_001/, { timeout: 20_000 });
  // A simulated task ends within seconds: the timeline follows it to the end.
  await expect(timeline).toContainText(/(succeeded|failed)\s*by agent_001/, { timeout: 30_000 });
  await page.screenshot({ path: testInfo.outputPath('run-task-timeline.png'), fullPage: true });
});

test("a task's timeline from the Tasks table (its own address) says who cancelled it; the Tasks table downloads as CSV", async ({
  page,
}, testInfo) => {
  await openDashboard(page, server.url);
  // For an agent nobody runs, the task waits: not delivered, then cancelled by another operator.
  const token = await devToken(server.url, 'e2e-operator', 'operator');
  const taskId = `e2e_timeline_${Date.now().toString(36)}`;
  await restPublish(server.url, token, 'commands', {
    command: 'execute_task',
    task_id: taskId,
    agent_id: 'agent_none',
  });
  const tasks = page.getByRole('region', { name: 'Tasks', exact: true });
  const link = tasks.getByRole('table', { name: 'Tasks' }).getByRole('link', { name: taskId });
  await expect(link).toBeVisible({ timeout: 10_000 });
  await link.click();
  expect(path(page)).toBe(`/tasks/${taskId}`);
  const view = page.getByRole('region', { name: `Task ${taskId}` });
  await expect(view).toContainText('created by e2e-operator', { timeout: 10_000 });
  await expect(view).toContainText('not delivered yet');

  const canceller = await devToken(server.url, 'e2e-canceller', 'operator');
  await restPublish(server.url, canceller, 'commands', { command: 'cancel_task', task_id: taskId });
  const timeline = view.getByRole('list', { name: `Timeline of ${taskId}` });
  await expect(timeline.getByRole('listitem').last()).toContainText(/cancelled\s*by e2e-canceller/, {
    timeout: 10_000,
  });
  await expect(view).toContainText('cancelled by e2e-canceller');
  await page.screenshot({ path: testInfo.outputPath('task-timeline.png') });

  // The same address opened anew shows the same timeline.
  await page.reload();
  await expect(page.getByRole('region', { name: `Task ${taskId}` })).toContainText('cancelled by e2e-canceller', {
    timeout: 15_000,
  });

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    tasks.getByRole('button', { name: 'Download CSV' }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^tasks-.*\.csv$/);
  const lines = (await readFile((await download.path())!, 'utf8')).trim().split('\r\n');
  expect(lines[0]).toMatch(/^task_id,agent_id,command,status,progress,created_by,/);
  expect(lines.find((line) => line.startsWith(`${taskId},`))).toContain(',cancelled,');
});
