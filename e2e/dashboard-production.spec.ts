/**
 * Production mode (NEXUS_JWT_SECRET set): the page never asks the dev token route (it learns the
 * mode from /healthz), asks for a token, and signing in leaves no stale subscription error.
 */
import { expect, test } from '@playwright/test';
import { startNexus, type NexusProcess } from './helpers/nexus-process.js';
import { subscriptionStatuses } from './helpers/dashboard.js';
import { signToken } from '../test/helpers/tokens.js';

const SECRET = 'e2e-production-secret-0123456789abcdefghijklmnop';
let server: NexusProcess;

test.beforeAll(async () => {
  server = await startNexus(0, { NEXUS_JWT_SECRET: SECRET, NEXUS_MOCK_INTERVAL_MS: '500' });
});
test.afterAll(async () => {
  expect(await server.stop()).toBe(0);
});

function token(userId: string, role: string): Promise<string> {
  return signToken({ userId, role, expiresInSeconds: 3600, secret: SECRET });
}

test('signing in with a pasted token: every subscription active, no stale error, no dev route probe', async ({
  page,
}, testInfo) => {
  const devRoute: string[] = [];
  const notFound: string[] = [];
  page.on('request', (req) => req.url().includes('/api/dev/token') && devRoute.push(req.url()));
  page.on('response', (res) => res.status() === 404 && notFound.push(res.url()));

  await page.goto(server.url);
  const dialog = page.getByRole('dialog', { name: 'Sign in to Nexus' });
  await expect(dialog).toBeVisible({ timeout: 10_000 });
  await dialog.getByRole('textbox', { name: 'Token' }).fill(await token('e2e-viewer', 'viewer'));
  await dialog.getByRole('button', { name: 'Connect' }).click();
  await expect(page.getByRole('status').first()).toContainText('open', { timeout: 10_000 });
  await expect.poll(() => subscriptionStatuses(page)).toEqual(['active', 'active', 'active', 'active']);
  const subscriptions = page.getByRole('region', { name: 'Subscriptions' });
  await expect(subscriptions).not.toContainText('error');
  await expect(subscriptions).not.toContainText('disconnect() was called');

  // Signing in again with another token: still no stale error.
  await page.getByRole('button', { name: 'Change token' }).click();
  await expect(dialog).toBeVisible();
  await dialog.getByRole('textbox', { name: 'Token' }).fill(await token('e2e-operator', 'operator'));
  await dialog.getByRole('button', { name: 'Connect' }).click();
  await expect(page.getByRole('status').first()).toContainText('open', { timeout: 10_000 });
  await expect(page.getByRole('status').first()).toBeVisible();
  await expect.poll(() => subscriptionStatuses(page)).toEqual(['active', 'active', 'active', 'active']);
  await expect(subscriptions).not.toContainText('error');
  await expect(page.getByText('e2e-operator (operator)')).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('production-signed-in.png') });

  expect(devRoute).toEqual([]);
  expect(notFound).toEqual([]);
});
