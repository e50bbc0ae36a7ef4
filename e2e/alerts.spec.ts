/**
 * Alerts in the dashboard, against the real server: a rule from NEXUS_ALERT_RULES that an agent
 * of this spec (a real WebSocket client) trips by reporting a high CPU; the page sees the alert
 * fire — the header's count and the "Alerts" region — acknowledges it, sees the rule's threshold,
 * the alert's period and a command sent to the agent on the CPU chart (hovering the marker says
 * who sent what and the task's status), opens the agent's view from the alert, and sees the
 * alert resolve when the CPU comes down. Screenshots of the charts go to /tmp/alerts-*.png.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { WebSocket } from 'ws';
import { devToken, openDashboard, restPublish } from './helpers/dashboard.js';
import { startNexus, type NexusProcess } from './helpers/nexus-process.js';

const HOT = 'e2e_hot';
const RULE = 'e2e_cpu_hot';
const RULES = [
  { id: RULE, metric: 'cpu_usage', op: '>', value: 90, for_s: 2, severity: 'critical', agents: [HOT] },
  { id: 'e2e_quiet', kind: 'agent_silent', for_s: 60, severity: 'warning' },
];
const TELEMETRY_MS = 500;

let server: NexusProcess;
let rulesDir: string;

test.beforeAll(async () => {
  rulesDir = await mkdtemp(join(tmpdir(), 'nexus-alerts-e2e-'));
  const rulesFile = join(rulesDir, 'rules.json');
  await writeFile(rulesFile, JSON.stringify(RULES));
  server = await startNexus(0, {
    NEXUS_MOCK_AGENTS: '2',
    NEXUS_MOCK_INTERVAL_MS: String(TELEMETRY_MS),
    NEXUS_ALERT_RULES: rulesFile,
  });
});
test.afterAll(async () => {
  expect(await server.stop()).toBe(0);
  await rm(rulesDir, { recursive: true, force: true });
});

/** An agent of this spec: reports `cpu` every TELEMETRY_MS, and starts the tasks sent to it. */
class TestAgent {
  cpu = 20;
  readonly #socket: WebSocket;
  readonly #timer: ReturnType<typeof setInterval>;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.on('message', (raw: Buffer) => this.#onFrame(JSON.parse(raw.toString()) as Record<string, unknown>));
    socket.send(JSON.stringify({ action: 'subscribe', channel: 'commands', filters: { agent_id: HOT } }));
    this.#timer = setInterval(() => this.#report(), TELEMETRY_MS);
  }

  static async start(baseUrl: string): Promise<TestAgent> {
    const token = await devToken(baseUrl, HOT, 'agent');
    const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws?token=${token}`);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    return new TestAgent(socket);
  }

  #report(): void {
    const payload = { agent_id: HOT, cpu_usage: this.cpu + Math.random(), memory_mb: 512 + Math.random() * 10 };
    this.#socket.send(JSON.stringify({ action: 'publish', channel: 'telemetry', payload }));
  }

  #onFrame(frame: Record<string, unknown>): void {
    const data = frame.data as { command?: string; task_id?: string; agent_id?: string } | undefined;
    if (frame.channel !== 'commands' || data?.command !== 'execute_task' || data.agent_id !== HOT) return;
    const update = { task_id: data.task_id, status: 'running', progress: 40, agent_id: HOT };
    this.#socket.send(JSON.stringify({ action: 'publish', channel: 'tasks', payload: update }));
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#socket.close();
  }
}

const alertsRegion = (page: Page) => page.getByRole('region', { name: 'Alerts', exact: true });
const firingCount = (page: Page, count: number) =>
  page.getByRole('banner').getByRole('link', { name: `Firing alerts: ${count}`, exact: true });

/** The chart's annotations: threshold lines, alert bands, command markers. */
function annotations(chart: Locator) {
  return {
    threshold: chart.locator('.threshold-line'),
    bands: chart.locator('.alert-band'),
    marker: (taskId: string) => chart.locator(`.command-mark[data-task="${taskId}"][data-command="execute_task"]`),
  };
}

test('an alert fires, is counted in the header, acknowledged, drawn on the charts, opens its agent, and resolves', async ({
  page,
}) => {
  test.setTimeout(150_000);
  await openDashboard(page, server.url);
  await expect(firingCount(page, 0)).toBeVisible({ timeout: 15_000 });
  await expect(alertsRegion(page)).toContainText('Nothing is firing.');

  const agent = await TestAgent.start(server.url);
  try {
    agent.cpu = 95;
    // The condition holds for for_s (2 s), then the alert reaches the page live.
    await expect(firingCount(page, 1)).toBeVisible({ timeout: 20_000 });
    const row = alertsRegion(page).getByRole('list', { name: 'Firing alerts' }).getByRole('listitem').first();
    await expect(row).toContainText('critical');
    await expect(row).toContainText(HOT);
    await expect(row).toContainText(RULE);
    await expect(row.getByText(/^\d\d:\d\d:\d\d$/)).toBeVisible(); // since, 24-hour
    await expect(row.getByText(/^9[56](\.\d)?$/)).toBeVisible(); // the value that tripped the rule

    // A command sent to the agent: a marker on its charts.
    const taskId = `e2e_alert_task_${Date.now().toString(36)}`;
    await restPublish(server.url, await devToken(server.url, 'e2e-operator', 'operator'), 'commands', {
      command: 'execute_task',
      task_id: taskId,
      agent_id: HOT,
      params: { script: 'uptime' },
    });

    // Acknowledged by this page's operator: the row says who, the alert still fires.
    await row.getByRole('button', { name: 'Acknowledge' }).click();
    await expect(row).toContainText(/acknowledged by \S+/, { timeout: 10_000 });
    await expect(row.getByRole('button', { name: 'Acknowledge' })).toHaveCount(0);
    await expect(firingCount(page, 1)).toBeVisible();

    // The Telemetry region's CPU chart: the rule's threshold, the alert's period, the command.
    const cpu = page.getByRole('region', { name: 'Telemetry' }).getByRole('figure', { name: 'CPU usage (%) chart' });
    await expect(cpu.locator(`path.series-line[data-agent="${HOT}"]`)).toHaveCount(1, { timeout: 20_000 });
    const onCpu = annotations(cpu);
    await expect(onCpu.threshold).toHaveCount(1, { timeout: 15_000 });
    await expect(cpu.locator('svg text').filter({ hasText: RULE })).toHaveCount(1); // the line's label
    await expect(onCpu.bands).toHaveCount(1);
    await expect(onCpu.marker(taskId)).toHaveCount(1, { timeout: 15_000 });
    await expect(onCpu.marker(taskId)).toHaveAttribute('aria-label', new RegExp(`execute_task ${taskId} → ${HOT}`));
    await onCpu.marker(taskId).hover();
    const popup = cpu.getByRole('tooltip');
    await expect(popup).toContainText('by e2e-operator', { timeout: 10_000 });
    await expect(popup).toContainText(/status (queued|running)/);
    await cpu.screenshot({ path: '/tmp/alerts-telemetry-cpu.png' });
    await page.screenshot({ path: '/tmp/alerts-page.png', fullPage: true });

    // The alert opens its agent's view, live, around when it started; its CPU chart shows the same.
    await row.getByRole('button', { name: HOT }).click();
    const view = page.getByRole('region', { name: `Agent ${HOT}`, exact: true });
    await expect(view).toBeVisible();
    expect(new URL(page.url()).pathname).toBe(`/agents/${HOT}`);
    // Fired seconds ago: the shortest live range, with as much before the start as since.
    await expect(view.getByRole('group', { name: 'Range' }).getByRole('button', { pressed: true })).toHaveText(
      /^(1|5) min$/,
    );
    const agentCpu = view.getByRole('figure', { name: 'CPU usage (%) chart' });
    await expect(agentCpu.locator('path.series-line')).toHaveCount(1, { timeout: 30_000 });
    const onAgentCpu = annotations(agentCpu);
    await expect(onAgentCpu.threshold).toHaveCount(1, { timeout: 15_000 });
    await expect(agentCpu.locator('svg text').filter({ hasText: RULE })).toHaveCount(1);
    await expect(onAgentCpu.bands).toHaveCount(1);
    await expect(onAgentCpu.marker(taskId)).toHaveCount(1, { timeout: 15_000 });
    // The count stays in the header on every view.
    await expect(firingCount(page, 1)).toBeVisible();
    await agentCpu.screenshot({ path: '/tmp/alerts-agent-cpu.png' });

    // The CPU comes down: the alert resolves by itself, the band gets its end, Resolved lists it.
    agent.cpu = 20;
    await expect(firingCount(page, 0)).toBeVisible({ timeout: 20_000 });
    await alertsRegion(page)
      .getByRole('button', { name: /^Resolved/ })
      .click();
    const resolved = alertsRegion(page).getByRole('list', { name: 'Resolved alerts' }).getByRole('listitem').first();
    await expect(resolved).toContainText(RULE);
    await expect(resolved).toContainText(/resolved \d\d:\d\d:\d\d/);
    await expect(onAgentCpu.bands).toHaveCount(1);
    // A few more seconds of low values after the band, for the screenshot.
    await page.waitForTimeout(6_000);
    await agentCpu.screenshot({ path: '/tmp/alerts-agent-cpu-resolved.png' });
    await page.mouse.move(0, 0);
    await cpu.screenshot({ path: '/tmp/alerts-telemetry-cpu-resolved.png' });
    await page.screenshot({ path: '/tmp/alerts-agent-view.png', fullPage: true });
  } finally {
    agent.stop();
  }
});

test('the count is never stale as live: not live while the server is away, reloaded from the server when it is back', async ({
  page,
}) => {
  test.setTimeout(120_000);
  await openDashboard(page, server.url);
  const agent = await TestAgent.start(server.url);
  try {
    agent.cpu = 95;
    await expect(firingCount(page, 1)).toBeVisible({ timeout: 20_000 });
  } finally {
    agent.stop();
  }
  // A restart of the one-process (memory) server forgets its alerts, and nothing trips the rule now.
  const port = server.port;
  expect(await server.stop()).toBe(0);
  await expect(
    page.getByRole('banner').getByRole('link', { name: 'Firing alerts: 1, not live', exact: true }),
  ).toBeVisible({
    timeout: 10_000,
  });
  server = await startNexus(port, {
    NEXUS_MOCK_AGENTS: '2',
    NEXUS_MOCK_INTERVAL_MS: String(TELEMETRY_MS),
    NEXUS_ALERT_RULES: join(rulesDir, 'rules.json'),
  });
  await expect(page.getByRole('status').first()).toContainText('open', { timeout: 20_000 });
  await expect(firingCount(page, 0)).toBeVisible({ timeout: 10_000 });
  await expect(alertsRegion(page)).toContainText('Nothing is firing.');
});
