/**
 * The "Data plane" region: an admin sees every open connection (its own among them) and closes
 * another one after confirming; a viewer never sees the region.
 */
import { expect, test } from '@playwright/test';
import { WebSocket } from 'ws';
import { signIn } from './helpers/dashboard.js';
import { startNexus, type NexusProcess } from './helpers/nexus-process.js';
import { signToken } from '../test/helpers/tokens.js';

const SECRET = 'e2e-data-plane-secret-0123456789abcdefghijklmnop';
let server: NexusProcess;

test.beforeAll(async () => {
  server = await startNexus(0, { NEXUS_JWT_SECRET: SECRET, NEXUS_MOCK_AGENTS: '2' });
});
test.afterAll(async () => {
  expect(await server.stop()).toBe(0);
});

function token(userId: string, role: string): Promise<string> {
  return signToken({ userId, role, expiresInSeconds: 3600, secret: SECRET });
}

test('an admin sees its own connection and closes another one after confirming', async ({ page }, testInfo) => {
  const wsUrl = `${server.url.replace(/^http/, 'ws')}/ws`;
  const victim = new WebSocket(`${wsUrl}?token=${await token('e2e-victim', 'viewer')}`);
  const closed = new Promise<number>((resolve) => victim.once('close', (code) => resolve(code)));
  await new Promise((resolve, reject) => victim.once('open', resolve).once('error', reject));
  victim.send(JSON.stringify({ action: 'subscribe', channel: 'events', filters: { kind: 'alert' } }));

  await signIn(page, server.url, await token('e2e-admin', 'admin'));
  const region = page.getByRole('region', { name: 'Data plane' });
  await expect(region).toBeVisible();
  const connections = region.getByRole('table', { name: 'Connections' });
  await expect(connections.getByRole('row').filter({ hasText: 'e2e-admin' })).toBeVisible({ timeout: 10_000 });
  // The process column names the process by host:port (its id in the cell's title).
  await expect(connections.getByRole('row').filter({ hasText: 'e2e-admin' })).toContainText(`127.0.0.1:${server.port}`);
  const victimRow = connections.getByRole('row').filter({ hasText: 'e2e-victim' });
  await expect(victimRow).toContainText('events {"kind":"alert"}', { timeout: 10_000 });
  await expect(region.getByRole('table', { name: 'Channels' })).toContainText('telemetry');
  await page.screenshot({ path: testInfo.outputPath('data-plane.png'), fullPage: true });

  let confirmText = '';
  page.once('dialog', (dialog) => {
    confirmText = dialog.message();
    void dialog.accept();
  });
  await victimRow.getByRole('button', { name: 'Close e2e-victim' }).click();
  expect(confirmText).toContain('e2e-victim');
  expect(await closed).toBe(4010); // the default: the client may come back
  await expect(victimRow).toHaveCount(0, { timeout: 5000 });
});

test('a viewer does not see the data plane', async ({ page }) => {
  await signIn(page, server.url, await token('e2e-viewer', 'viewer'));
  await expect(page.getByRole('region', { name: 'Subscriptions' })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Data plane' })).toHaveCount(0);
});
