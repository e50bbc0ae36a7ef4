/**
 * Small helpers the dashboard specs share: opening the page (dev mode) or signing in with a
 * token (production mode), REST calls with a dev token, chart line paths.
 */
import { expect, type Locator, type Page } from '@playwright/test';

/** Opens the dashboard in dev mode and waits until it is connected. */
export async function openDashboard(page: Page, baseUrl: string): Promise<void> {
  await page.goto(baseUrl);
  await expect(page.getByRole('status').first()).toContainText('open', { timeout: 15_000 });
}

/** Opens the dashboard in production mode, pastes `token` into the sign-in dialog, waits until connected. */
export async function signIn(page: Page, baseUrl: string, token: string): Promise<void> {
  await page.goto(baseUrl);
  const dialog = page.getByRole('dialog', { name: 'Sign in to Nexus' });
  await expect(dialog).toBeVisible({ timeout: 10_000 });
  await dialog.getByRole('textbox', { name: 'Token' }).fill(token);
  await dialog.getByRole('button', { name: 'Connect' }).click();
  await expect(page.getByRole('status').first()).toContainText('open', { timeout: 10_000 });
}

export async function devToken(baseUrl: string, userId = 'e2e-operator', role = 'operator'): Promise<string> {
  const res = await fetch(`${baseUrl}/api/dev/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId, role }),
  });
  if (res.status !== 200) throw new Error(`dev token: HTTP ${res.status}`);
  return ((await res.json()) as { token: string }).token;
}

export async function restGet<T>(baseUrl: string, path: string, token: string): Promise<T> {
  const res = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

export async function restPublish(baseUrl: string, token: string, channel: string, payload: unknown): Promise<void> {
  const res = await fetch(`${baseUrl}/api/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ channel, payload }),
  });
  if (res.status !== 202) throw new Error(`publish: HTTP ${res.status} ${await res.text()}`);
}

/** The drawn agent lines of one chart (not the fleet band or median). */
export function chartLines(page: Page, chartName: string): Locator {
  return page
    .getByRole('region', { name: 'Telemetry' })
    .getByRole('figure', { name: chartName })
    .locator('path.series-line');
}

/** Per drawn line: how many segments (`M` commands) and points it has. */
export async function lineShapes(lines: Locator): Promise<{ segments: number; points: number }[]> {
  return lines.evaluateAll((paths) =>
    paths.map((path) => {
      const d = path.getAttribute('d') ?? '';
      return { segments: (d.match(/M/g) ?? []).length, points: (d.match(/[ML]/g) ?? []).length };
    }),
  );
}

/** The `status` of each row of the Subscriptions panel. */
export async function subscriptionStatuses(page: Page): Promise<string[]> {
  return page
    .getByRole('region', { name: 'Subscriptions' })
    .locator('[data-subscription-status]')
    .evaluateAll((badges) => badges.map((b) => b.getAttribute('data-subscription-status') ?? ''));
}
