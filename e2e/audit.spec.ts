/**
 * The audit log in the dashboard: operators open the "Audit" region from the header (its own
 * address, /audit), see who did what, filter by user and action, and download it as CSV; a
 * viewer has neither the link nor the log.
 */
import { readFile } from 'node:fs/promises';
import { expect, test } from '@playwright/test';
import { restPublish, signIn } from './helpers/dashboard.js';
import { startNexus, type NexusProcess } from './helpers/nexus-process.js';
import { signToken } from '../test/helpers/tokens.js';

const SECRET = 'e2e-audit-secret-0123456789abcdefghijklmnopqrstuv';
let server: NexusProcess;

test.beforeAll(async () => {
  server = await startNexus(0, { NEXUS_JWT_SECRET: SECRET, NEXUS_MOCK_AGENTS: '2', NEXUS_MOCK_INTERVAL_MS: '500' });
});
test.afterAll(async () => {
  expect(await server.stop()).toBe(0);
});

function token(userId: string, role: string): Promise<string> {
  return signToken({ userId, role, expiresInSeconds: 3600, secret: SECRET });
}

test('an operator filters the audit log and downloads it as CSV', async ({ page }, testInfo) => {
  const taskId = `e2e_audit_${Date.now().toString(36)}`;
  await restPublish(server.url, await token('e2e-auditee', 'operator'), 'commands', {
    command: 'execute_task',
    task_id: taskId,
    agent_id: 'agent_001',
  });
  await restPublish(server.url, await token('e2e-other', 'operator'), 'events', { note: 'hello' });

  await signIn(page, server.url, await token('e2e-auditor', 'operator'));
  await page.getByRole('link', { name: 'Audit', exact: true }).click();
  expect(new URL(page.url()).pathname).toBe('/audit');
  const audit = page.getByRole('region', { name: 'Audit', exact: true });
  const table = audit.getByRole('table', { name: 'Audit log' });
  // Entries are written off the hot path: they show within a refresh or two.
  await expect(async () => {
    await audit.getByRole('button', { name: 'Apply' }).click();
    await expect(table.getByRole('row').filter({ hasText: 'e2e-auditee' }).first()).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 20_000 });

  const filters = audit.getByRole('form', { name: 'Audit filters' });
  await filters.getByRole('textbox', { name: 'User' }).fill('e2e-auditee');
  await filters.getByRole('textbox', { name: 'Action' }).fill('execute_task');
  await filters.getByRole('button', { name: 'Apply' }).click();
  const rows = table.getByRole('row').filter({ has: page.getByRole('cell') });
  await expect(rows.filter({ hasText: 'e2e-other' })).toHaveCount(0, { timeout: 10_000 });
  await expect(rows.first()).toContainText('execute_task');
  await expect(rows.first()).toContainText(taskId);
  await page.screenshot({ path: testInfo.outputPath('audit.png'), fullPage: true });

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    audit.getByRole('button', { name: 'Download CSV' }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^audit-.*\.csv$/);
  const lines = (await readFile((await download.path())!, 'utf8')).trim().split(/\r?\n/);
  expect(lines[0]).toMatch(/\bat\b.*\buserId\b.*\baction\b/);
  expect(lines.length).toBeGreaterThanOrEqual(2);
  expect(lines.slice(1).every((line) => line.includes('e2e-auditee') && line.includes('execute_task'))).toBe(true);
});

test('a viewer has no Audit link and no audit log at /audit', async ({ page }) => {
  await signIn(page, server.url, await token('e2e-viewer', 'viewer'));
  await expect(page.getByRole('link', { name: 'Audit', exact: true })).toHaveCount(0);
  await page.goto(`${server.url}/audit`);
  await expect(page.getByRole('status').first()).toContainText('open', { timeout: 15_000 });
  await expect(page.getByText('The audit log is for operators and admins.')).toBeVisible();
  await expect(page.getByRole('region', { name: 'Audit', exact: true })).toHaveCount(0);
});
