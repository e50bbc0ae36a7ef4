/**
 * Hostile telemetry against a live dashboard: one message with 400 numeric fields, and agents
 * named `t`, `__proto__` and `constructor` reporting metrics named `__proto__` and
 * `hasOwnProperty`. The page must keep answering and drawing, chart at most 12 metrics and offer
 * the others in the metric picker.
 *
 * The hostile messages are published over REST with an operator token, which may publish
 * telemetry for any agent id (an agent token may only speak for its own agent).
 */
import { expect, test, type Locator, type Page } from '@playwright/test';
import { startNexus, type NexusProcess } from './helpers/nexus-process.js';

const MAX_CHARTS = 12;
const MAX_METRICS_PER_AGENT = 64;
/** The page must answer within this long, whatever the agents sent. */
const RESPONSIVE_MS = 2_000;
const SIMULATED_AGENTS = 5;

let server: NexusProcess;
let operatorToken: string;

test.beforeAll(async () => {
  server = await startNexus(0, { NEXUS_MOCK_AGENTS: String(SIMULATED_AGENTS), NEXUS_MOCK_INTERVAL_MS: '500' });
  const res = await fetch(`${server.url}/api/dev/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId: 'e2e-operator', role: 'operator' }),
  });
  expect(res.status).toBe(200);
  operatorToken = ((await res.json()) as { token: string }).token;
});
// On failure, say whether the page itself was busy (its long tasks) or the machine was slow.
test.afterEach(async ({ page }, testInfo) => {
  if (testInfo.status === testInfo.expectedStatus) return;
  const tasks = await Promise.race([
    longTasksMs(page).catch(() => 'page closed'),
    new Promise<string>((resolve) => setTimeout(() => resolve('page not answering'), RESPONSIVE_MS)),
  ]);
  await testInfo.attach('long-tasks-ms', { body: JSON.stringify(tasks), contentType: 'application/json' });
});
test.afterAll(async () => {
  expect(await server.stop()).toBe(0);
});

/** Publishes a raw JSON payload text on `telemetry` (text, so keys like `__proto__` stay data). */
async function publishTelemetry(payloadJson: string): Promise<void> {
  const res = await fetch(`${server.url}/api/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${operatorToken}` },
    body: `{"channel":"telemetry","payload":${payloadJson}}`,
  });
  expect(res.status, await res.clone().text()).toBe(202);
}

/** One payload with `count` numeric fields, `junk_000` … */
function wideTelemetry(agentId: string, count: number): string {
  const fields = Array.from({ length: count }, (_, i) => `"junk_${String(i).padStart(3, '0')}":${i}`);
  return `{"agent_id":${JSON.stringify(agentId)},${fields.join(',')}}`;
}

/** Agents whose ids collide with a chart row's keys or with Object.prototype members. */
const RESERVED_AGENTS = [
  { agentId: 't', cpu: 91 },
  { agentId: '__proto__', cpu: 92 },
  { agentId: 'constructor', cpu: 93 },
] as const;

async function publishReservedAgents(): Promise<void> {
  for (const { agentId, cpu } of RESERVED_AGENTS)
    await publishTelemetry(`{"agent_id":"${agentId}","cpu_usage":${cpu},"__proto__":${cpu + 1},"hasOwnProperty":3}`);
}

/** Time of a round trip to the page's main thread; fails (without waiting longer) past twice the bound. */
async function pageLatencyMs(page: Page): Promise<number> {
  const start = Date.now();
  const answered = await Promise.race([
    page.evaluate(() => true).catch(() => false),
    new Promise<false>((resolve) => setTimeout(() => resolve(false), 2 * RESPONSIVE_MS)),
  ]);
  expect(answered, `the page answers within ${2 * RESPONSIVE_MS} ms`).toBe(true);
  return Date.now() - start;
}

type WithLongTasks = typeof globalThis & { longTasksMs?: number[] };

/** Starts recording the durations of the page's long tasks (main thread busy over 50 ms). */
async function recordLongTasks(page: Page): Promise<void> {
  await page.evaluate(() => {
    const scope = globalThis as WithLongTasks;
    const durations: number[] = (scope.longTasksMs = []);
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) durations.push(Math.round(entry.duration));
    }).observe({ type: 'longtask' });
  });
}

async function longTasksMs(page: Page): Promise<number[]> {
  return page.evaluate(() => (globalThis as WithLongTasks).longTasksMs ?? []);
}

/** "HH:MM:SS" → seconds since midnight. */
function secondsOfDay(time: string): number {
  const [h, m, s] = time.split(':').map(Number);
  return h! * 3600 + m! * 60 + s!;
}

function chart(telemetry: Locator, name: string): Locator {
  return telemetry.getByRole('figure', { name: `${name} chart`, exact: true });
}

function linePaths(figure: Locator): Locator {
  return figure.locator('path.series-line');
}

/**
 * Opens the dashboard with its errors recorded, waits until the CPU chart draws at least the
 * simulated agents' lines, then records long tasks from there on.
 */
async function openCharts(page: Page) {
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(server.url);
  await expect(page.getByRole('status').first()).toContainText('open', { timeout: 15_000 });
  const telemetry = page.getByRole('region', { name: 'Telemetry' });
  const cpu = chart(telemetry, 'CPU usage (%)');
  await expect.poll(() => linePaths(cpu).count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(SIMULATED_AGENTS);
  await recordLongTasks(page);
  return { pageErrors, telemetry, cpu };
}

test('one agent with 400 metrics and agents named t or __proto__ cannot freeze or break the charts', async ({
  page,
}, testInfo) => {
  const { pageErrors, telemetry, cpu } = await openCharts(page);
  expect(await linePaths(cpu).count()).toBe(SIMULATED_AGENTS);
  // The attack: one message, 400 numeric fields; then the agents with reserved names.
  await publishTelemetry(wideTelemetry('wide_agent', 400));
  await publishReservedAgents();

  // The page still answers at once, and a click takes effect.
  expect(await pageLatencyMs(page)).toBeLessThan(RESPONSIVE_MS);
  const pause = telemetry.getByRole('button', { name: 'Pause' });
  await pause.click({ timeout: RESPONSIVE_MS });
  await expect(telemetry.getByRole('button', { name: 'Resume' })).toHaveAttribute('aria-pressed', 'true', {
    timeout: RESPONSIVE_MS,
  });
  await telemetry.getByRole('button', { name: 'Resume' }).click({ timeout: RESPONSIVE_MS });
  await expect(telemetry.getByRole('button', { name: 'Pause' })).toBeVisible({ timeout: RESPONSIVE_MS });

  // At most 12 charts; the rest are offered by the metric picker, 64 of the wide agent's fields at most.
  await expect(telemetry.getByText(/Charts: 12 of \d+ metrics/)).toBeVisible();
  expect(await telemetry.getByRole('figure').count()).toBeLessThanOrEqual(MAX_CHARTS);
  await telemetry.getByRole('button', { name: 'More metrics' }).click({ timeout: RESPONSIVE_MS });
  const picker = telemetry.getByRole('group', { name: 'Metrics' });
  await expect(picker).toBeVisible({ timeout: RESPONSIVE_MS });
  expect(await picker.getByRole('button').count()).toBeGreaterThan(MAX_CHARTS);
  await expect(picker.getByRole('button', { name: /^junk / })).toHaveCount(MAX_METRICS_PER_AGENT);
  await expect(picker.getByRole('button', { name: 'junk 063', exact: true })).toBeVisible();
  await expect(picker.getByRole('button', { name: 'junk 064', exact: true })).toHaveCount(0);

  // Keeps drawing: the CPU chart's lines move on with new telemetry, now with the reserved agents.
  const publisher = setInterval(() => void publishReservedAgents().catch(() => undefined), 500);
  try {
    const before = await linePaths(cpu).first().getAttribute('d');
    await expect.poll(() => linePaths(cpu).first().getAttribute('d'), { timeout: 10_000 }).not.toBe(before);
    await expect.poll(() => linePaths(cpu).count(), { timeout: 10_000 }).toBe(SIMULATED_AGENTS + 3);
    const legend = telemetry.getByRole('list', { name: 'Current CPU usage (%)' });
    for (const { agentId, cpu: value } of RESERVED_AGENTS)
      await expect(
        legend.getByRole('listitem').filter({ hasText: new RegExp(`^\\s*${agentId} ${value}$`) }),
      ).toHaveCount(1);
    // The x axis still shows the last minutes (an agent named `t` once overwrote the time field).
    const ticks = await cpu.locator('.recharts-cartesian-axis-tick-value').allTextContents();
    const times = ticks.filter((tick) => tick.includes(':'));
    expect(times.length).toBeGreaterThanOrEqual(2);
    const nowS = secondsOfDay(await page.evaluate(() => new Date().toTimeString().slice(0, 8)));
    for (const time of times) {
      expect(time).toMatch(/^\d\d:\d\d:\d\d$/);
      const ageS = (nowS - secondsOfDay(time) + 86_400) % 86_400;
      expect(ageS, `tick ${time}`).toBeLessThan(5 * 60);
    }

    // Default view: metrics most agents report come first. __proto__ and hasOwnProperty (three
    // reserved agents) are charted ahead of the wide agent's junk (one agent), whatever came first.
    for (const metric of ['__proto__', 'hasOwnProperty'])
      await expect(chart(telemetry, metric)).toBeVisible({ timeout: 5_000 });
    expect(await telemetry.getByRole('figure').count()).toBe(MAX_CHARTS);

    // Any metric is one click away: with 12 charts shown, a pick takes the last chart's place.
    await picker.getByRole('button', { name: 'junk 040', exact: true }).click();
    await expect(chart(telemetry, 'junk 040')).toBeVisible();
    await expect(picker.getByRole('button', { name: 'junk 040', exact: true })).toHaveAttribute('aria-pressed', 'true');
    expect(await telemetry.getByRole('figure').count()).toBe(MAX_CHARTS);

    // Two charts fewer; the metrics named __proto__ and hasOwnProperty stay ordinary charts.
    for (const metric of ['Memory (MB)', 'Temperature (°C)'])
      await picker.getByRole('button', { name: metric, exact: true }).click();
    for (const metric of ['__proto__', 'hasOwnProperty']) {
      await expect.poll(() => linePaths(chart(telemetry, metric)).count(), { timeout: 10_000 }).toBe(3);
      await expect(telemetry.getByRole('list', { name: `Current ${metric}` })).toContainText('constructor');
    }
    await expect(chart(telemetry, 'Memory (MB)')).toHaveCount(0);
    expect(await telemetry.getByRole('figure').count()).toBeLessThanOrEqual(MAX_CHARTS);
    expect(await pageLatencyMs(page)).toBeLessThan(RESPONSIVE_MS);
    // Nothing held the main thread that long at any moment since the attack.
    expect(Math.max(0, ...(await longTasksMs(page)))).toBeLessThan(RESPONSIVE_MS);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: testInfo.outputPath('telemetry-hostile-agents.png') });
  } finally {
    clearInterval(publisher);
  }
  expect(pageErrors).toEqual([]);
});

test('agents sending extreme numbers (±1.7e308, 5e-324) cannot freeze or break the charts', async ({ page }) => {
  const { pageErrors, telemetry, cpu } = await openCharts(page);
  // Short buckets (1 min window): about one point each, the values drawn as sent.
  await telemetry.getByRole('button', { name: '1 min', exact: true }).click();

  // The largest doubles on a shared chart, and a chart of only tiny and huge values.
  const extremes = [
    { agentId: 'extreme_high', value: '1.7976931348623157e308' },
    { agentId: 'extreme_low', value: '-1.7976931348623157e308' },
    { agentId: 'extreme_tiny', value: '5e-324' },
  ];
  for (let round = 0; round < 3; round++) {
    for (const { agentId, value } of extremes)
      await publishTelemetry(`{"agent_id":"${agentId}","cpu_usage":${value},"extreme_metric":${value}}`);
    // A chart whose every value is the largest double (reported by three agents, so it is among
    // the default charts even after the wide agent of the test above).
    for (const { agentId } of extremes)
      await publishTelemetry(`{"agent_id":"${agentId}","huge_metric":1.7976931348623157e308}`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }

  for (const name of ['extreme metric', 'huge metric']) {
    const figure = chart(telemetry, name);
    await expect(figure).toBeVisible({ timeout: 10_000 });
    // Both ends of the value axis are labelled.
    await expect(figure.locator('.recharts-yAxis-tick-labels .recharts-cartesian-axis-tick-value')).toHaveCount(2);
  }
  const extremeLegend = telemetry.getByRole('list', { name: 'Current extreme metric' });
  await expect(extremeLegend).toContainText('extreme_tiny');
  // Values read in a few characters, whatever their size.
  await expect(extremeLegend).toContainText('extreme_high 1.8e+308');
  await expect(extremeLegend).toContainText('extreme_low -1.8e+308');
  // The simulated agents' lines are still drawn on the CPU chart next to the extreme ones.
  await expect.poll(() => linePaths(cpu).count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(SIMULATED_AGENTS);
  expect(await pageLatencyMs(page)).toBeLessThan(RESPONSIVE_MS);
  await telemetry.getByRole('button', { name: '5 min', exact: true }).click({ timeout: RESPONSIVE_MS });
  await expect(telemetry.getByRole('button', { name: '5 min', exact: true })).toHaveAttribute('aria-pressed', 'true');
  expect(Math.max(0, ...(await longTasksMs(page)))).toBeLessThan(RESPONSIVE_MS);
  expect(pageErrors).toEqual([]);
});
