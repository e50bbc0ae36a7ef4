/**
 * The connection bar's round-trip time belongs to an open connection: through a server restart
 * the page never shows the last RTT measured while it is reconnecting ("RTT —" instead), and shows
 * a fresh one once it is open again.
 */
import { expect, test } from '@playwright/test';
import { startNexus, type NexusProcess } from './helpers/nexus-process.js';

let server: NexusProcess;

test.beforeAll(async () => {
  server = await startNexus(0, { NEXUS_MOCK_AGENTS: '2' });
});
test.afterAll(async () => {
  expect(await server.stop()).toBe(0);
});

test('no RTT is shown while reconnecting after a server restart', async ({ page }) => {
  await page.goto(server.url);
  const status = page.getByRole('status').first();
  const rtt = page.getByTitle('Heartbeat round-trip time');
  await expect(status).toContainText('open', { timeout: 15_000 });
  await expect(rtt).toHaveText(/^RTT \d+ ms$/, { timeout: 10_000 });

  // Every change of the bar is checked in the page: the state word and the RTT shown with it.
  await page.evaluate(() => {
    const scope = window as unknown as { rttWhileNotOpen: string[] };
    scope.rttWhileNotOpen = [];
    const bar = document.querySelector('.conn')!;
    const check = () => {
      const state = bar.querySelector('[role="status"] strong')?.textContent ?? '';
      const shown = bar.querySelector('[title="Heartbeat round-trip time"]')?.textContent ?? '';
      if (state !== 'open' && /\d/.test(shown)) scope.rttWhileNotOpen.push(`${state}: ${shown}`);
    };
    new MutationObserver(check).observe(bar, { subtree: true, childList: true, characterData: true });
  });

  expect(await server.stop()).toBe(0);
  await expect(status).toContainText('reconnecting', { timeout: 5_000 });
  await expect(rtt).toHaveText('RTT —');
  // It stays so through the retries (the countdown ticks the bar several times a second).
  await page.waitForTimeout(2_000);
  await expect(status).not.toContainText('open');
  await expect(rtt).toHaveText('RTT —');

  server = await startNexus(server.port, { NEXUS_MOCK_AGENTS: '2' });
  await expect(status).toContainText('open', { timeout: 10_000 });
  await expect(rtt).toHaveText(/^RTT \d+ ms$/, { timeout: 10_000 });
  expect(await page.evaluate(() => (window as unknown as { rttWhileNotOpen: string[] }).rttWhileNotOpen)).toEqual([]);
});
