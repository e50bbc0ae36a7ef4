/**
 * Signing in to the dashboard with a real OpenID provider (oidc-provider, started in this process
 * by scripts/dev-oidc.mjs, the test helpers' provider, on a loopback port) and a Nexus server that trusts it: "Sign in" goes through the
 * provider's login page, the dashboard is live as that user with the role their group maps to,
 * the 30-second access token is renewed and handed to the open connection in band (the same
 * connection outlives the first token, the page never leaves `open`), and "Sign out" ends the
 * session at the provider and closes the connection.
 */
import { expect, test, type Page } from '@playwright/test';
import { startNexus, type NexusProcess } from './helpers/nexus-process.js';
import { freePort } from './helpers/ports.js';
import { restGet } from './helpers/dashboard.js';
import { startOidcProvider, type OidcProviderHandle } from '../scripts/dev-oidc.mjs';
import { signToken } from '../test/helpers/tokens.js';

const SECRET = 'e2e-oidc-secret-0123456789abcdefghijklmnopqrstuv';
/** Short, so the test sees a renewal; long enough for a sign-in on a loaded machine. */
const ACCESS_TOKEN_TTL_S = 30;

let idp: OidcProviderHandle;
let server: NexusProcess;
let adminToken: string;

test.beforeAll(async () => {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  idp = await startOidcProvider({
    redirectUris: [`${origin}/auth/callback`, `${origin}/`],
    accessTokenTtlSeconds: ACCESS_TOKEN_TTL_S,
  });
  server = await startNexus(port, {
    // HS256 beside the provider: the test's own admin token reads the server's connections.
    NEXUS_JWT_SECRET: SECRET,
    NEXUS_JWKS_URL: idp.jwksUrl,
    NEXUS_JWT_ISSUER: idp.issuer,
    NEXUS_JWT_AUDIENCE: idp.audience,
    NEXUS_ROLE_CLAIM: 'groups',
    NEXUS_OIDC_ISSUER: idp.issuer,
    NEXUS_OIDC_CLIENT_ID: idp.clientId,
    NEXUS_MOCK_INTERVAL_MS: '500',
  });
  adminToken = await signToken({ userId: 'e2e-admin', role: 'admin', expiresInSeconds: 3600, secret: SECRET });
});
test.afterAll(async () => {
  expect(await server?.stop()).toBe(0);
  await idp?.stop();
});

interface Connection {
  readonly connectionId: string;
  readonly userId: string;
  readonly role: string;
}

async function connectionsOf(userId: string): Promise<Connection[]> {
  const all = await restGet<Connection[]>(server.url, '/api/admin/connections', adminToken);
  return all.filter((c) => c.userId === userId);
}

/** Every text the connection status showed from now on (a reconnect would show up here). */
async function recordStatus(page: Page): Promise<void> {
  await page.evaluate(() => {
    const status = document.querySelector('[role="status"]')!;
    const seen: string[] = [status.textContent ?? ''];
    (window as unknown as { statusSeen: string[] }).statusSeen = seen;
    new MutationObserver(() => seen.push(status.textContent ?? '')).observe(status, {
      subtree: true,
      childList: true,
      characterData: true,
    });
  });
}

function statusSeen(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { statusSeen: string[] }).statusSeen);
}

/** The stored session's access-token expiry (ms), as the page keeps it. */
function storedExpiry(page: Page): Promise<number | undefined> {
  return page.evaluate(() => {
    const text = sessionStorage.getItem('nexus.oidc.session');
    return text ? (JSON.parse(text) as { tokens: { expiresAtMs?: number } }).tokens.expiresAtMs : undefined;
  });
}

async function loginAtProvider(page: Page, user: string): Promise<void> {
  await expect(page).toHaveURL(new RegExp(`^${idp.issuer}/`), { timeout: 15_000 });
  await page.locator('input[name="login"]').fill(user);
  await page.locator('input[name="password"]').fill('any password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
}

test('sign in at the provider, stay connected across a token renewal, sign out', async ({ page }, testInfo) => {
  test.setTimeout(240_000);
  // Loopback only: the provider's login page would load a web font from the internet.
  await page.route(
    (url) => url.hostname !== '127.0.0.1' && url.hostname !== 'localhost',
    (route) => route.abort(),
  );
  const renewals: string[] = [];
  page.on('request', (req) => {
    if (req.url() === `${idp.issuer}/token` && req.postData()?.includes('grant_type=refresh_token')) {
      renewals.push(req.url());
    }
  });

  // Production mode with a provider: the dialog offers "Sign in" beside pasting a token.
  await page.goto(`${server.url}/?range=5m`);
  const dialog = page.getByRole('dialog', { name: 'Sign in to Nexus' });
  await expect(dialog).toBeVisible({ timeout: 15_000 });
  await expect(dialog.getByRole('textbox', { name: 'Token' })).toBeVisible();
  await dialog.getByRole('button', { name: 'Sign in' }).click();
  await loginAtProvider(page, 'alice');

  // Back on the dashboard, where the person was, live, as alice with her group's role.
  await expect(page).toHaveURL(`${server.url}/?range=5m`, { timeout: 15_000 });
  await expect(page.getByRole('status').first()).toContainText('open', { timeout: 20_000 });
  await expect(dialog).toBeHidden();
  const banner = page.getByRole('banner');
  await expect(banner).toContainText('Signed in as Alice Operator · alice (operator)', { timeout: 10_000 });
  await expect(banner.getByRole('button', { name: 'Sign out' })).toBeVisible();
  await expect(banner.getByRole('button', { name: 'Change token' })).toHaveCount(0);
  await expect(page.getByTitle('Messages received per second')).not.toHaveText('0 msg/s', { timeout: 20_000 });
  await expect(page.getByRole('region', { name: 'Agents' })).toContainText('agent_001', { timeout: 20_000 });
  await expect.poll(() => connectionsOf('alice'), { timeout: 10_000 }).toHaveLength(1);
  const [first] = await connectionsOf('alice');
  expect(first!.role).toBe('operator');
  await page.screenshot({ path: testInfo.outputPath('oidc-signed-in.png') });

  // The renewal: past the first token's expiry, the same connection, never anything but open.
  await recordStatus(page);
  const firstExpiry = await storedExpiry(page);
  expect(firstExpiry).toBeGreaterThan(Date.now() - 5_000);
  await expect
    .poll(() => Date.now() > firstExpiry! + 5_000, { timeout: (ACCESS_TOKEN_TTL_S + 20) * 1000, intervals: [1_000] })
    .toBe(true);
  expect(renewals.length).toBeGreaterThanOrEqual(1);
  expect(await storedExpiry(page)).toBeGreaterThan(firstExpiry!);
  await expect(page.getByRole('status').first()).toContainText('open');
  expect((await statusSeen(page)).filter((text) => !text.includes('open'))).toEqual([]);
  expect((await connectionsOf('alice')).map((c) => c.connectionId)).toEqual([first!.connectionId]);
  await expect(page.getByTitle('Messages received per second')).not.toHaveText('0 msg/s', { timeout: 10_000 });
  await page.screenshot({ path: testInfo.outputPath('oidc-after-renewal.png') });

  // Sign out: the connection closes, the provider ends its session, the page asks again.
  await banner.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(new RegExp(`^${idp.issuer}/`), { timeout: 15_000 });
  await expect.poll(() => connectionsOf('alice'), { timeout: 10_000 }).toEqual([]);
  await page.getByRole('button', { name: 'Yes, sign me out' }).click();
  await expect(page).toHaveURL(`${server.url}/`, { timeout: 15_000 });
  await expect(dialog).toBeVisible({ timeout: 15_000 });
  expect(await storedExpiry(page)).toBeUndefined();
  await expect(page.getByText('Signed in as')).toHaveCount(0);
  await page.screenshot({ path: testInfo.outputPath('oidc-signed-out.png') });

  // The provider's session is over too: signing in again asks for the login.
  await dialog.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.locator('input[name="login"]')).toBeVisible({ timeout: 15_000 });
});
