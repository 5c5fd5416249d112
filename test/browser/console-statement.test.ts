import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSV_COLUMNS } from '../../src/core/statement.js';
import { addConsoleUser } from '../console-helpers.js';
import { type TestGateway, startTestGateway } from '../harness.js';
import { parseCsv } from '../csv.js';
import { CHROMIUM, CHROMIUM_ARGS, SHOTS, browserAvailable, signInToConsole } from './chromium.js';

/**
 * The console's statement page (ADR 0023) in Debian's headless Chromium: a project's balances,
 * its statement with filters and the older-entries link, and the CSV download. Console errors (a
 * CSP violation shows as one) fail the test. Skipped with a printed reason without
 * /usr/bin/chromium, unless CAURI_REQUIRE_BROWSER=1.
 */

describe.skipIf(!browserAvailable)('console statement in Chromium', () => {
  let gw: TestGateway;
  let context: BrowserContext;
  let profile = '';
  let downloads = '';
  let page: Page;
  const consoleErrors: string[] = [];
  const base = () => gw.gw.config.publicUrl;

  beforeAll(async () => {
    gw = await startTestGateway('sqlite');
    const address = await gw.app.listen({ host: '127.0.0.1', port: 0 });
    gw.gw.config.publicUrl = address;
    await addConsoleUser(gw);
    // 60 fundings on Orange, one on Moov, and a payout that the dispatcher completes.
    for (let i = 1; i <= 60; i++) {
      await gw.fundSub('11', 1_000 + i);
      gw.clock.advance(60_000);
    }
    await gw.fundSub('12', 7_777);
    const created = await gw.call('POST', '/pay/v01/straight/payout', {
      body: {
        commande: {
          amount: 2_000,
          description: 'Supplier',
          customer: '22670445566',
          custom_data: { transaction_id: 'PO-CONSOLE' },
        },
      },
    });
    expect(created.response_code).toBe('00');
    await gw.dispatcher.runOnce();
    mkdirSync(SHOTS, { recursive: true });
    profile = mkdtempSync(path.join(tmpdir(), 'cauri-statement-'));
    downloads = mkdtempSync(path.join(tmpdir(), 'cauri-statement-dl-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      headless: true,
      viewport: { width: 1280, height: 900 },
      locale: 'en-US',
      acceptDownloads: true,
      downloadsPath: downloads,
    });
    page = await context.newPage();
    page.on('console', (message) => {
      // The bad date of the second test answers 400, which Chromium reports; nothing else may.
      if (message.type() === 'error' && !message.text().includes('status of 400'))
        consoleErrors.push(message.text());
    });
    await signInToConsole(page, base());
  }, 90_000);

  afterAll(async () => {
    await context?.close();
    await gw?.destroy();
    for (const dir of [profile, downloads]) if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('shows the balances and the statement of the chosen project, and pages to older entries', async () => {
    await page.locator('nav.main').getByRole('link', { name: 'Statements', exact: true }).click();
    await page.waitForURL(`${base()}/console/statement`);
    expect(await page.locator('nav.main a[aria-current=page]').textContent()).toBe('Statements');
    await page.getByLabel('Project').selectOption({ label: 'Test shop' });
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(/\/console\/statement\?project=prj_/);
    expect(await page.locator('h1').textContent()).toBe('Statement: Test shop');
    const orange = page.locator('table').first().locator('tbody tr', { hasText: '(11)' });
    const posted = Array.from({ length: 60 }, (_, i) => 1_001 + i).reduce((a, b) => a + b, 0) - 2_000;
    expect(await orange.locator('td').first().textContent()).toBe(
      `${posted.toLocaleString('en-US').replace(/,/g, '\u202f')} XOF`,
    );
    const rows = page.locator('table').nth(1).locator('tbody tr');
    expect(await rows.count()).toBe(50);
    expect(await rows.first().textContent()).toContain('PO-CONSOLE');
    expect(await rows.first().locator('.badge').textContent()).toBe('hold_posted');
    await page.screenshot({ path: path.join(SHOTS, 'console-statement.png'), fullPage: true });
    await page.getByRole('link', { name: 'Older entries' }).click();
    await page.waitForURL(/cursor=/);
    expect(await page.locator('table').nth(1).locator('tbody tr').count()).toBe(63 - 50);
    expect(await page.getByRole('link', { name: 'Older entries' }).count()).toBe(0);
    await page.getByRole('link', { name: 'Newest entries' }).click();
    await page.waitForURL((url) => !url.search.includes('cursor='));
  });

  it('filters by operator and reports a bad date', async () => {
    await page.getByLabel('Operator').selectOption('12');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(/operator=12/);
    const rows = page.locator('table').nth(1).locator('tbody tr');
    expect(await rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain('7\u202f777 XOF');
    const url = new URL(page.url());
    url.searchParams.set('from', '2026-02-30');
    await page.goto(url.toString());
    expect(await page.getByRole('alert').textContent()).toMatch(/from "2026-02-30" is not a date/);
  });

  it('downloads the filtered statement as CSV', async () => {
    await page.goto(`${base()}/console/statement?project=${gw.project.id}&operator=11`);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^statement-prj_[a-z2-7]+-\d{4}-\d{2}-\d{2}\.csv$/);
    const file = await download.path();
    const [header, ...records] = parseCsv(readFileSync(file, 'utf8'));
    expect(header).toEqual([...CSV_COLUMNS]);
    expect(records).toHaveLength(62);
    expect(records.every((r) => r[1] === '11')).toBe(true);
    expect(records[0]?.[12]).toBe('PO-CONSOLE');
    expect(consoleErrors).toEqual([]);
  });
});
