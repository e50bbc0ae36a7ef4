import { expect, test } from '@playwright/test';

test('the page at / loads and reports the server as up', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Nexus' })).toBeVisible();
  await expect(page.getByRole('status')).toHaveText('server ok');
});
