import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestGateway, startTestGateway } from '../harness.js';
import { addConsoleUser } from '../console-helpers.js';
import { CHROMIUM, CHROMIUM_ARGS, SHOTS, browserAvailable, signInToConsole } from './chromium.js';

/**
 * The console's bulk payout pages (ADR 0025) in Debian's headless Chromium: from the navigation to
 * the list of batches, to one batch, to an item's payout story; labelled fields, no sideways
 * scrolling on a phone, no console error (a CSP violation shows as one). Screenshots go to
 * test-artifacts/screenshots/console-bulk-*. Skipped with a printed reason without
 * /usr/bin/chromium, unless CAURI_REQUIRE_BROWSER=1.
 */
const WALLET = '22670123456';

describe.skipIf(!browserAvailable)('bulk payout pages in Chromium', () => {
  let gw: TestGateway;
  let context: BrowserContext;
  let profile = '';
  let page: Page;
  let batchId = '';
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    gw = await startTestGateway('sqlite');
    const address = await gw.app.listen({ host: '127.0.0.1', port: 0 });
    gw.gw.config.publicUrl = address;
    await addConsoleUser(gw);
    await gw.wallet(WALLET, 0);
    await gw.fundSub('11', 100_000);
    const items = [
      {
        kind: 'customer',
        amount: 1500,
        customer: WALLET,
        description: 'Refund',
        top_up_wallet: 1,
        custom_data: { transaction_id: 'BULK-UI-1' },
      },
      {
        kind: 'merchant',
        amount: 2500,
        customer: '22670445566',
        description: 'Supplier',
        custom_data: { transaction_id: 'BULK-UI-2' },
      },
      { kind: 'merchant', amount: 5, customer: '22670445566' },
    ];
    const created = await gw.call('POST', '/cauri/v1/payouts/bulk', {
      body: { items },
      headers: { 'idempotency-key': 'ui-batch' },
    });
    batchId = String(created.batch_id);
    mkdirSync(SHOTS, { recursive: true });
    profile = mkdtempSync(path.join(tmpdir(), 'cauri-console-bulk-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      headless: true,
      viewport: { width: 1280, height: 900 },
      locale: 'en-US',
    });
    page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
  }, 90_000);

  afterAll(async () => {
    await context?.close();
    await gw?.destroy();
    if (profile !== '') rmSync(profile, { recursive: true, force: true });
  });

  const base = () => gw.gw.config.publicUrl;
  const shot = (p: Page, name: string) =>
    p.screenshot({ path: path.join(SHOTS, `console-bulk-${name}.png`), fullPage: true });
  const unlabelledFields = (p: Page) =>
    p.$$eval('input:not([type=hidden]), select, textarea', (fields) =>
      fields
        .filter((f) => ((f as HTMLInputElement).labels?.length ?? 0) === 0 && !f.getAttribute('aria-label'))
        .map((f) => f.outerHTML),
    );

  it("goes from the navigation to the batches, to one batch, to an item's payout story", async () => {
    await signInToConsole(page, base());

    await page.locator('nav.main').getByRole('link', { name: 'Bulk payouts', exact: true }).click();
    await page.waitForURL(`${base()}/console/payouts/bulk`);
    expect(await page.locator('nav.main a[aria-current=page]').textContent()).toBe('Bulk payouts');
    expect(await page.locator('h1').textContent()).toBe('Bulk payouts');
    expect(await unlabelledFields(page)).toEqual([]);
    const rows = page.locator('table tbody tr');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain('Test shop');
    await shot(page, '01-list');

    await page.getByLabel('Project').selectOption({ label: 'Other shop' });
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => page.locator('main').textContent()).toContain('No bulk payout yet');
    await page.getByRole('link', { name: 'Clear' }).click();

    await page.getByRole('link', { name: batchId }).click();
    await page.waitForURL(`${base()}/console/payouts/bulk/${batchId}`);
    expect(await page.locator('h1').textContent()).toMatch(/^Bulk payout of \d{4}-\d{2}-\d{2} \d{2}:\d{2}/);
    expect(await page.locator('dl.facts').textContent()).toContain(batchId);
    const facts = (await page.locator('dl.facts').textContent()) ?? '';
    expect(facts).toContain('ui-batch');
    expect(facts).toContain('1 completed, 1 pending, 0 not completed, 1 refused');
    const items = page.locator('#items + div table tbody tr');
    await expect.poll(() => items.count()).toBe(3);
    expect(await items.nth(2).textContent()).toContain('Echec (Code02)');
    await shot(page, '02-batch');

    await items.nth(1).getByRole('link', { name: 'story' }).click();
    await page.waitForURL(/\/console\/transactions\/po_/);
    expect(await page.locator('h1').textContent()).toMatch(/^Payout /);
    expect(await page.locator('dl.facts').textContent()).toContain('BULK-UI-2');
    await shot(page, '03-item-story');
  });

  it('fits a phone screen: the batch pages do not scroll sideways', async () => {
    const phone = await context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    for (const url of ['/console/payouts/bulk', `/console/payouts/bulk/${batchId}`]) {
      await phone.goto(`${base()}${url}`);
      expect(
        await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
        url,
      ).toBeLessThanOrEqual(0);
    }
    await shot(phone, '04-mobile-batch');
    await phone.close();
  });

  it('raised no console error (a CSP violation would be one)', () => {
    expect(consoleErrors).toEqual([]);
  });
});
