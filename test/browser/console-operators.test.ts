import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOWN_CONSECUTIVE_FAILURES } from '../../src/core/operator-health.js';
import type { CreditRequest, OperatorConnector, OperatorOutcome } from '../../src/operators/connector.js';
import { OPERATOR, addConsoleUser } from '../console-helpers.js';
import { type TestGateway, startTestGateway } from '../harness.js';
import { E7 } from '../payin-helpers.js';
import { CHROMIUM, CHROMIUM_ARGS, SHOTS, browserAvailable } from './chromium.js';

/**
 * The console's operator availability and reconciliation pages in Debian's headless Chromium
 * (playwright-core, nothing downloaded): a down operator in the availability table, a statement
 * uploaded with the file chooser, a refused file's line numbers, and an import's mismatches.
 * Console errors (a CSP violation shows as one) fail the test; screenshots go to
 * test-artifacts/screenshots/console-operators-*. Skipped with a printed reason without
 * /usr/bin/chromium, unless CAURI_REQUIRE_BROWSER=1.
 */
const PHONE = '22670445566';

/** Orange Burkina refuses every connection; the other operators answer. */
class HalfDown implements OperatorConnector {
  requestCredit(request: CreditRequest): Promise<OperatorOutcome> {
    if (request.operatorId === '11') return Promise.reject(new Error('connect ECONNREFUSED'));
    return Promise.resolve({ state: 'completed', operatorReference: `OP-${request.reference}` });
  }
  queryStatus(): Promise<OperatorOutcome> {
    return Promise.resolve({ state: 'pending' });
  }
}

describe.skipIf(!browserAvailable)('console operator pages in Chromium', () => {
  let gw: TestGateway;
  let context: BrowserContext;
  let profile = '';
  let page: Page;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    gw = await startTestGateway('sqlite', { connector: new HalfDown() });
    gw.gw.config.publicUrl = await gw.app.listen({ host: '127.0.0.1', port: 0 });
    await addConsoleUser(gw);
    await gw.fundSub('11', 50_000);
    for (let i = 0; i < DOWN_CONSECUTIVE_FAILURES + 2; i++) {
      await gw.call('POST', E7, {
        body: {
          commande: {
            amount: 1_000 + i,
            description: 'Supplier',
            customer: PHONE,
            callback_url: 'https://shop.example/cb',
            custom_data: {},
          },
        },
      });
      gw.clock.advance(1);
    }
    await gw.dispatcher.runOnce();
    mkdirSync(SHOTS, { recursive: true });
    profile = mkdtempSync(path.join(tmpdir(), 'cauri-console-ops-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      headless: true,
      viewport: { width: 1280, height: 900 },
      locale: 'en-US',
    });
    page = await context.newPage();
    page.on('console', (message) => {
      // A refused upload answers 400, which Chromium reports; nothing else may.
      if (message.type() === 'error' && !message.text().includes('status of 400'))
        consoleErrors.push(message.text());
    });
    await page.goto(`${gw.gw.config.publicUrl}/console`);
    await page.getByLabel('Username').fill(OPERATOR.username);
    await page.getByLabel('Password').fill(OPERATOR.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${gw.gw.config.publicUrl}/console`);
  }, 90_000);

  afterAll(async () => {
    await context?.close();
    await gw?.destroy();
    if (profile !== '') rmSync(profile, { recursive: true, force: true });
  });

  const shot = (name: string) =>
    page.screenshot({ path: path.join(SHOTS, `console-operators-${name}.png`), fullPage: true });
  const unlabelledFields = () =>
    page.$$eval('input:not([type=hidden]), select, textarea', (fields) =>
      fields
        .filter((f) => ((f as HTMLInputElement).labels?.length ?? 0) === 0 && !f.getAttribute('aria-label'))
        .map((f) => f.outerHTML),
    );

  it('shows the down operator and its queued payouts from the navigation', async () => {
    await page.locator('nav.main').getByRole('link', { name: 'Operators', exact: true }).click();
    await page.waitForURL(/\/console\/operators$/);
    expect(await page.locator('nav.main a[aria-current=page]').textContent()).toBe('Operators');
    const row = page.locator('tr[data-operator="11"]');
    expect(await row.locator('.badge').textContent()).toBe('down');
    expect(await row.locator('td').last().textContent()).toBe(String(DOWN_CONSECUTIVE_FAILURES + 2));
    expect(await page.locator('caption').textContent()).toBe('1 operator is down');
    await shot('1-availability');
    await row.getByRole('link', { name: String(DOWN_CONSECUTIVE_FAILURES + 2) }).click();
    await page.waitForURL(/\/console\/transactions\?kind=payout&status=pending&operator=11/);
  });

  it('uploads a statement, refuses a malformed one with its line numbers, and lists the mismatches', async () => {
    await page.locator('nav.main').getByRole('link', { name: 'Reconciliation', exact: true }).click();
    await page.waitForURL(/\/console\/reconciliation$/);
    expect(await unlabelledFields()).toEqual([]);
    await page.getByLabel('Operator').selectOption('11');
    await page.getByLabel('Statement file (CSV)').setInputFiles({
      name: 'broken.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('reference;amount;status\npo_a;10;success\npo_b;ten;success\n'),
    });
    await page.getByRole('button', { name: 'Import and compare' }).click();
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toContain('line 3: "ten" is not a whole amount of XOF');
    await shot('2-refused');
    const csv = 'Référence;Montant;Statut;Date\npo_notincauri;2500;Réussi;22/11/2026 09:30\n';
    await page.getByLabel('Operator').selectOption('11');
    await page
      .getByLabel('Statement file (CSV)')
      .setInputFiles({ name: 'orange-2026-11-22.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: 'Import and compare' }).click();
    await page.waitForURL(/\/console\/reconciliation\/rcn_[a-z2-7]+\?done=imported$/);
    expect(await page.getByRole('status').textContent()).toBe('Statement imported: 1 mismatch.');
    const finding = page.locator('#findings tbody tr').first();
    expect(await finding.getAttribute('data-category')).toBe('missing_in_cauri');
    expect(await finding.textContent()).toContain('po_notincauri');
    await shot('3-import');
    await page.getByRole('link', { name: 'Back to the imports' }).click();
    expect(await page.locator('table').last().textContent()).toContain('orange-2026-11-22.csv');
    await shot('4-imports');
    expect(consoleErrors).toEqual([]);
  });
});
