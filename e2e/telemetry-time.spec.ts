/**
 * Telemetry over time, driven as a person does: a range picked from the "Range" group, the
 * page's address holding the view (a copied link opens it again, Back/Forward move between
 * views), drag across a chart to zoom and "Back to live", a chart downloaded as CSV and PNG, and
 * at fleet scale a page that hears only the agents it draws.
 */
import { readFile } from 'node:fs/promises';
import { expect, test, type Page } from '@playwright/test';
import { chartLines, lineShapes, openDashboard } from './helpers/dashboard.js';
import { startNexus, type NexusProcess } from './helpers/nexus-process.js';

const CPU_CHART = 'CPU usage (%) chart';
let server: NexusProcess;

test.beforeAll(async () => {
  server = await startNexus(0, { NEXUS_MOCK_INTERVAL_MS: '500' });
});
test.afterAll(async () => {
  expect(await server.stop()).toBe(0);
});

const telemetry = (page: Page) => page.getByRole('region', { name: 'Telemetry' });
const range = (page: Page, label: string) =>
  telemetry(page).getByRole('group', { name: 'Range' }).getByRole('button', { name: label, exact: true });
const chip = (page: Page, agentId: string) =>
  telemetry(page).getByRole('group', { name: 'Show agents' }).getByRole('button', { name: agentId, exact: true });
const search = (page: Page) => new URL(page.url()).searchParams;

/** Opens the dashboard and waits until the CPU chart draws all five simulated agents. */
async function openWithLines(page: Page, url: string, lines = 5): Promise<void> {
  await openDashboard(page, url);
  await expect.poll(() => chartLines(page, CPU_CHART).count(), { timeout: 15_000 }).toBe(lines);
}

test('a picked range and hidden agent are in the address: a copied link opens the same view, Back/Forward move between views', async ({
  page,
  context,
}, testInfo) => {
  await openWithLines(page, server.url);
  await expect(range(page, '5 min')).toHaveAttribute('aria-pressed', 'true');

  await range(page, '1 h').click();
  await expect(range(page, '1 h')).toHaveAttribute('aria-pressed', 'true');
  expect(search(page).get('range')).toBe('1h');
  await chip(page, 'agent_002').click();
  await expect(chip(page, 'agent_002')).toHaveAttribute('aria-pressed', 'false');
  await expect.poll(() => chartLines(page, CPU_CHART).count()).toBe(4);
  expect(search(page).getAll('hide')).toEqual(['agent_002']);

  // The copied address, opened in a new page, gives the same view.
  const copied = page.url();
  const other = await context.newPage();
  await openWithLines(other, copied, 4);
  await expect(range(other, '1 h')).toHaveAttribute('aria-pressed', 'true');
  await expect(chip(other, 'agent_002')).toHaveAttribute('aria-pressed', 'false');
  const drawn = await chartLines(other, CPU_CHART).evaluateAll((paths) => paths.map((p) => p.dataset.agent));
  expect(drawn.sort()).toEqual(['agent_001', 'agent_003', 'agent_004', 'agent_005']);
  await other.screenshot({ path: testInfo.outputPath('copied-link.png') });
  await other.close();

  // Back: the agent shown again; Back: the default range; Forward: 1 h again.
  await page.goBack();
  await expect(chip(page, 'agent_002')).toHaveAttribute('aria-pressed', 'true');
  await expect(range(page, '1 h')).toHaveAttribute('aria-pressed', 'true');
  await expect.poll(() => chartLines(page, CPU_CHART).count()).toBe(5);
  await page.goBack();
  await expect(range(page, '5 min')).toHaveAttribute('aria-pressed', 'true');
  expect(search(page).get('range')).toBeNull();
  await page.goForward();
  await expect(range(page, '1 h')).toHaveAttribute('aria-pressed', 'true');
  expect(search(page).get('range')).toBe('1h');
});

test('drag across a chart zooms into that range; "Back to live" returns to the live range', async ({ page }) => {
  await openWithLines(page, `${server.url}/?range=1m`);
  // Enough points to drag across: at least 20 s of the minute drawn.
  const cpu = chartLines(page, CPU_CHART);
  await expect
    .poll(async () => Math.min(...(await lineShapes(cpu)).map((l) => l.points)), { timeout: 30_000 })
    .toBeGreaterThanOrEqual(24);
  const canvas = telemetry(page).getByRole('figure', { name: CPU_CHART }).locator('.chart-canvas');
  const box = (await canvas.boundingBox())!;
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width * 0.3, y);
  await page.mouse.down();
  for (let step = 1; step <= 10; step++) await page.mouse.move(box.x + box.width * (0.3 + step * 0.05), y);
  await page.mouse.up();

  const back = telemetry(page).getByRole('button', { name: 'Back to live' });
  await expect(back).toBeVisible();
  const fromMs = Date.parse(search(page).get('from')!);
  const toMs = Date.parse(search(page).get('to')!);
  expect(toMs - fromMs).toBeGreaterThanOrEqual(5_000);
  expect(toMs).toBeLessThan(Date.now());
  await expect(telemetry(page).getByRole('group', { name: 'Range' }).locator('[aria-pressed="true"]')).toHaveCount(0);
  // The chart now spans the zoomed range only: it stops moving with time.
  const ticks = telemetry(page).getByRole('figure', { name: CPU_CHART }).locator('.recharts-xAxis text');
  const zoomedTicks = await ticks.allTextContents();
  await page.waitForTimeout(2_500);
  expect(await ticks.allTextContents()).toEqual(zoomedTicks);

  await back.click();
  await expect(back).toHaveCount(0);
  await expect(range(page, '1 min')).toHaveAttribute('aria-pressed', 'true');
  expect(search(page).get('from')).toBeNull();
  // Back returns to the zoom, as to any other view.
  await page.goBack();
  await expect(telemetry(page).getByRole('button', { name: 'Back to live' })).toBeVisible();
});

test('Download CSV gives the drawn series with a header row; Download PNG gives an image', async ({ page }) => {
  await openWithLines(page, server.url);
  const figure = telemetry(page).getByRole('figure', { name: CPU_CHART });

  const [csv] = await Promise.all([
    page.waitForEvent('download'),
    figure.getByRole('button', { name: 'Download CSV' }).click(),
  ]);
  expect(csv.suggestedFilename()).toMatch(/^cpu_usage-.*\.csv$/);
  const rows = (await readFile((await csv.path())!, 'utf8')).trim().split('\r\n');
  expect(rows[0]).toBe('time,agent_001,agent_002,agent_003,agent_004,agent_005');
  expect(rows.length).toBeGreaterThanOrEqual(3);
  for (const row of rows.slice(1)) expect(row).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z(,(-?[\d.]+)?){5}$/);
  expect(rows.slice(1).some((row) => /,\d/.test(row))).toBe(true);

  const [png] = await Promise.all([
    page.waitForEvent('download'),
    figure.getByRole('button', { name: 'Download PNG' }).click(),
  ]);
  expect(png.suggestedFilename()).toMatch(/^cpu_usage-.*\.png$/);
  const image = await readFile((await png.path())!);
  expect([...image.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(image.length).toBeGreaterThan(2_000);
});

test.describe('a fleet of 40 agents', () => {
  let fleet: NexusProcess;
  test.beforeAll(async () => {
    fleet = await startNexus(0, { NEXUS_MOCK_AGENTS: '40', NEXUS_MOCK_INTERVAL_MS: '500' });
  });
  test.afterAll(async () => {
    expect(await fleet.stop()).toBe(0);
  });

  test('draws the band and the top agents, and hears raw telemetry only from the agents drawn', async ({
    page,
  }, testInfo) => {
    await openDashboard(page, fleet.url);
    const figure = telemetry(page).getByRole('figure', { name: CPU_CHART });
    await expect(figure).toContainText('fleet of 40', { timeout: 15_000 });
    await expect(figure.locator('path.series-band')).toHaveCount(1);
    await expect.poll(() => chartLines(page, CPU_CHART).count()).toBe(8);
    // The telemetry subscription follows the drawn agents: a filter on agent_id, 8 of the 40.
    const row = page
      .getByRole('region', { name: 'Subscriptions' })
      .getByRole('row')
      .filter({ hasText: /^telemetry/ });
    await expect(row).toContainText('"agent_id"', { timeout: 15_000 });
    await expect(row).toContainText('active');
    // 40 agents at 2 messages/s would be 80 messages/s; the page hears 8 of them and one summary.
    const rate = page.getByTitle('Messages received per second');
    await page.waitForTimeout(3_000);
    const rates: number[] = [];
    for (let i = 0; i < 3; i++) {
      rates.push(Number(/(\d+) msg\/s/.exec((await rate.textContent()) ?? '')?.[1]));
      await page.waitForTimeout(1_100);
    }
    testInfo.annotations.push({ type: 'messages-per-second', description: rates.join(',') });
    expect(Math.min(...rates)).toBeGreaterThan(0);
    expect(Math.max(...rates)).toBeLessThanOrEqual(30);
    await page.screenshot({ path: testInfo.outputPath('fleet.png') });
  });
});
