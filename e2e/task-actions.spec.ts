/**
 * Tasks board actions, against the real server and its simulated agents: a viewer gets no Cancel
 * and no New task; an operator cancels a running task and sees the ack, then the row reach
 * `cancelled` live; New task sends a fresh task id each time and warns about an unknown agent.
 */
import { expect, test, type Locator, type Page } from '@playwright/test';
import { restPublish, signIn } from './helpers/dashboard.js';
import { startNexus, type NexusProcess } from './helpers/nexus-process.js';
import { signToken } from '../test/helpers/tokens.js';

const SECRET = 'e2e-task-actions-secret-0123456789abcdefghijklmnop';
let server: NexusProcess;

test.beforeAll(async () => {
  server = await startNexus(0, { NEXUS_JWT_SECRET: SECRET, NEXUS_MOCK_AGENTS: '3', NEXUS_MOCK_INTERVAL_MS: '500' });
});
test.afterAll(async () => {
  expect(await server.stop()).toBe(0);
});

function token(userId: string, role: string): Promise<string> {
  return signToken({ userId, role, expiresInSeconds: 3600, secret: SECRET });
}

let taskCount = 0;
async function executeTask(agentId: string): Promise<string> {
  const taskId = `e2e_task_${Date.now().toString(36)}_${taskCount++}`;
  const payload = { command: 'execute_task', task_id: taskId, agent_id: agentId, params: {} };
  await restPublish(server.url, await token('e2e-rest-operator', 'operator'), 'commands', payload);
  return taskId;
}

const tasksTable = (page: Page) => page.getByRole('region', { name: 'Tasks' }).getByRole('table', { name: 'Tasks' });
const rowOf = (page: Page, taskId: string): Locator => tasksTable(page).getByRole('row').filter({ hasText: taskId });

test('a viewer sees the tasks but has no Cancel and no New task', async ({ page }) => {
  await signIn(page, server.url, await token('e2e-viewer', 'viewer'));
  const taskId = await executeTask('agent_001');
  await expect(rowOf(page, taskId)).toBeVisible({ timeout: 10_000 });
  const region = page.getByRole('region', { name: 'Tasks' });
  await expect(region.getByRole('button', { name: /^Cancel/ })).toHaveCount(0);
  await expect(region.getByRole('button', { name: 'New task' })).toHaveCount(0);
  await expect(region.getByRole('columnheader', { name: 'Actions' })).toHaveCount(0);
});

test('an operator cancels a running task of a simulated agent: the ack, then the row reaches cancelled', async ({
  page,
}, testInfo) => {
  await signIn(page, server.url, await token('e2e-operator', 'operator'));
  // A simulated task runs 3–12 s and a few fail on their own: should one end before the click
  // lands, another is started (the seeded agents make this rare).
  let cancelled: string | undefined;
  for (let attempt = 0; attempt < 3 && !cancelled; attempt++) {
    const taskId = await executeTask('agent_002');
    const row = rowOf(page, taskId);
    await expect(row.locator('[data-status]')).toHaveText('running', { timeout: 10_000 });
    const button = row.getByRole('button', { name: `Cancel ${taskId}` });
    if (
      !(await button.click({ timeout: 2_000 }).then(
        () => true,
        () => false,
      ))
    )
      continue;
    await expect(row).toContainText(/cancel: (ack seq \d+|error .+)/, { timeout: 5_000 });
    await expect(row.locator('[data-status]')).not.toHaveText(/queued|running/, { timeout: 10_000 });
    if ((await row.locator('[data-status]').textContent()) === 'cancelled') cancelled = taskId;
  }
  expect(cancelled, 'a running task was cancelled').toBeDefined();
  const row = rowOf(page, cancelled!);
  await expect(row).toContainText(/cancel: ack seq \d+/);
  await expect(row.getByRole('button', { name: /^Cancel/ })).toHaveCount(0); // final: nothing left to cancel
  await page.screenshot({ path: testInfo.outputPath('task-cancelled.png') });
});

test('New task: two sends are two tasks with fresh ids, both accepted; an unknown agent is warned about', async ({
  page,
}, testInfo) => {
  await signIn(page, server.url, await token('e2e-operator-2', 'operator'));
  const region = page.getByRole('region', { name: 'Tasks' });
  await region.getByRole('button', { name: 'New task' }).click();
  const form = region.getByRole('form', { name: 'New task' });
  const agent = form.getByRole('combobox', { name: 'Agent' });

  await agent.fill('agent_999');
  await expect(form).toContainText('Unknown agent "agent_999"', { timeout: 10_000 });
  await agent.fill('agent_003');
  await expect(form).not.toContainText('Unknown agent');

  await form.getByRole('textbox', { name: 'Script' }).fill('uptime');
  await form.getByRole('textbox', { name: 'Params (JSON)' }).fill('{"retries": 1}');
  const send = form.getByRole('button', { name: 'Send task' });
  await send.click();
  await send.click();
  const sent = form.getByRole('list', { name: 'Sent tasks' }).getByRole('listitem');
  await expect(sent).toHaveCount(2);
  await expect(sent.nth(0)).toContainText(/ack seq \d+/, { timeout: 5_000 });
  await expect(sent.nth(1)).toContainText(/ack seq \d+/, { timeout: 5_000 });
  const ids = await sent.evaluateAll((items) => items.map((item) => item.getAttribute('data-task-id')));
  expect(ids[0]).toMatch(/^task_[0-9a-z]{10}$/);
  expect(ids[1]).toMatch(/^task_[0-9a-z]{10}$/);
  expect(ids[0]).not.toBe(ids[1]);
  for (const id of ids) await expect(rowOf(page, id!)).toContainText('agent_003', { timeout: 10_000 });
  await page.screenshot({ path: testInfo.outputPath('new-task.png') });
});
